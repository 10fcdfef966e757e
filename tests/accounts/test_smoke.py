from fastapi.testclient import TestClient


def test_home_page_renders_in_lithuanian_by_default(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="lt">' in response.text
