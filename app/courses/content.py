"""Reading and validating the content folder; every problem is reported with its file and line or field."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.core.markdown import markdown_images
from app.courses.content_schema import CompetencyModelFile, CourseFile, GlossaryFile, LessonFrontMatter, ProgrammesFile

CONTENT_LOCALES = ("lt", "en", "nb")
REQUIRED_LOCALES = ("lt", "en")
LESSON_FILE = re.compile(r"^(?P<number>\d{2,3})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<locale>lt|en|nb)\.md$")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif"}
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class ContentError:
    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.location}: {self.message}" if self.location else f"{self.file}: {self.message}"


class ContentInvalid(Exception):
    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class LessonSource:
    slug: str
    number: int
    texts: dict[str, tuple[LessonFrontMatter, str]]  # locale -> (front matter, Markdown body)

    @property
    def content_hash(self) -> str:
        return fingerprint({locale: (front.model_dump(), body) for locale, (front, body) in sorted(self.texts.items())})


@dataclass(frozen=True)
class CourseSource:
    slug: str
    folder: Path
    definition: CourseFile
    lessons: dict[str, LessonSource]
    quiz_blocks: dict[str, int] = field(default_factory=dict)  # locale -> number of question blocks
    trainer_notes: dict[str, tuple[LessonFrontMatter, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ContentBundle:
    programmes: ProgrammesFile
    courses: list[CourseSource]
    competency_model: CompetencyModelFile | None = None
    glossary: GlossaryFile | None = None


def fingerprint(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _node_line(node: yaml.Node | None, location: tuple[int | str, ...]) -> int | None:
    """The 1-based line of a field path inside a composed YAML document."""
    current = node
    for key in location:
        if isinstance(current, yaml.MappingNode):
            current = next((value for name, value in current.value if name.value == key), current)
            if current is node:
                break
        elif isinstance(current, yaml.SequenceNode) and isinstance(key, int) and key < len(current.value):
            current = current.value[key]
        else:
            break
    return current.start_mark.line + 1 if current is not None else None


def parse_yaml(
    text: str, relative: str, model: type[ModelT], errors: list[ContentError], line_offset: int = 0
) -> ModelT | None:
    try:
        data = yaml.safe_load(text)
        tree = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1 + line_offset}" if mark else ""
        errors.append(ContentError(relative, line, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        for problem in exc.errors():
            path = tuple(problem["loc"])
            line = _node_line(tree, path)
            dotted = ".".join(str(part) for part in path) or "(top level)"
            where = f"line {line + line_offset}, {dotted}" if line else dotted
            message = "unknown key" if problem["type"] == "extra_forbidden" else problem["msg"]
            errors.append(ContentError(relative, where, message))
        return None


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter YAML, body, body's first line number) of a Markdown file starting with '---'."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]).strip() + "\n", index + 2
    return None


def count_gift_questions(text: str) -> int:
    """Question blocks of a GIFT file: blank-line separated blocks holding an answer set in braces."""
    blocks = 0
    for block in re.split(r"\n\s*\n", text.lstrip("\ufeff").replace("\r\n", "\n")):
        meaningful = "\n".join(line for line in block.splitlines() if not line.strip().startswith("//"))
        if meaningful.strip().startswith("$CATEGORY:"):
            continue
        unescaped = re.sub(r"\\.", "", meaningful)
        if "{" in unescaped and "}" in unescaped:
            blocks += 1
    return blocks


def _load_front_matter_file(path: Path, root: Path, errors: list[ContentError]) -> tuple[LessonFrontMatter, str] | None:
    relative = str(path.relative_to(root))
    parts = split_front_matter(path.read_text(encoding="utf-8"))
    if parts is None:
        errors.append(ContentError(relative, "line 1", "the file starts with YAML front matter between '---' lines"))
        return None
    front_text, body, body_line = parts
    front = parse_yaml(front_text, relative, LessonFrontMatter, errors, line_offset=1)
    if front is None:
        return None
    if not body.strip():
        errors.append(ContentError(relative, f"line {body_line}", "the file has no text"))
    return front, body


def _load_trainer_notes(
    folder: Path, root: Path, errors: list[ContentError]
) -> dict[str, tuple[LessonFrontMatter, str]]:
    notes: dict[str, tuple[LessonFrontMatter, str]] = {}
    for locale in CONTENT_LOCALES:
        path = folder / f"trainer-notes.{locale}.md"
        if path.is_file() and (loaded := _load_front_matter_file(path, root, errors)) is not None:
            notes[locale] = loaded
    return notes


def _load_lessons(folder: Path, root: Path, errors: list[ContentError]) -> dict[str, LessonSource]:
    found: dict[str, dict[str, tuple[int, LessonFrontMatter, str]]] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith("trainer-notes"):
            continue
        relative = str(path.relative_to(root))
        match = LESSON_FILE.match(path.name)
        if not match:
            errors.append(ContentError(relative, "", "lesson files are named NN-slug.LANG.md (LANG: lt, en or nb)"))
            continue
        parts = split_front_matter(path.read_text(encoding="utf-8"))
        if parts is None:
            errors.append(
                ContentError(relative, "line 1", "a lesson starts with YAML front matter between '---' lines")
            )
            continue
        front_text, body, body_line = parts
        front = parse_yaml(front_text, relative, LessonFrontMatter, errors, line_offset=1)
        if front is None:
            continue
        if not body.strip():
            errors.append(ContentError(relative, f"line {body_line}", "the lesson has no text"))
        for alt, source in markdown_images(body):
            if not alt.strip():
                errors.append(
                    ContentError(relative, "", f"image {source!r} needs alt text: ![what it shows]({source})")
                )
            if "://" not in source and not (folder / source).is_file():
                errors.append(ContentError(relative, "", f"image {source!r} not found beside the lesson"))
            elif "://" not in source and Path(source).suffix.lower() not in IMAGE_SUFFIXES:
                errors.append(ContentError(relative, "", f"image {source!r} is not a supported image type"))
        found.setdefault(match["slug"], {})[match["locale"]] = (int(match["number"]), front, body)
    lessons: dict[str, LessonSource] = {}
    for slug, by_locale in found.items():
        numbers = {number for number, _front, _body in by_locale.values()}
        if not any(locale in by_locale for locale in REQUIRED_LOCALES):
            errors.append(
                ContentError(str(folder.relative_to(root)), slug, "a lesson needs a Lithuanian or English version")
            )
        if len(numbers) > 1:
            errors.append(ContentError(str(folder.relative_to(root)), slug, "language versions have different numbers"))
        lessons[slug] = LessonSource(
            slug=slug,
            number=min(numbers),
            texts={locale: (front, body) for locale, (_n, front, body) in by_locale.items()},
        )
    return lessons


def _load_course(
    folder: Path, root: Path, programme_codes: set[str], competency_codes: set[str] | None, errors: list[ContentError]
) -> CourseSource | None:
    course_file = folder / "course.yaml"
    relative = str(course_file.relative_to(root))
    definition = parse_yaml(course_file.read_text(encoding="utf-8"), relative, CourseFile, errors)
    lessons = _load_lessons(folder, root, errors)
    if definition is None:
        return None
    if definition.programme not in programme_codes:
        errors.append(ContentError(relative, "programme", f"unknown programme {definition.programme!r}"))
    if competency_codes is not None:
        for target in definition.competencies:
            if target.code not in competency_codes:
                errors.append(ContentError(relative, "competencies", f"unknown competency {target.code!r}"))
    listed: list[str] = [slug for section in definition.sections for slug in section.lessons]
    for slug in listed:
        if slug not in lessons:
            errors.append(ContentError(relative, "sections", f"lesson {slug!r} has no file NN-{slug}.lt.md / .en.md"))
    for slug in sorted(set(lessons) - set(listed)):
        errors.append(ContentError(relative, "sections", f"lesson {slug!r} is not listed in any section"))
    duplicates = sorted({slug for slug in listed if listed.count(slug) > 1})
    if duplicates:
        errors.append(ContentError(relative, "sections", f"lessons listed twice: {', '.join(duplicates)}"))
    quiz_blocks: dict[str, int] = {}
    if definition.quiz is not None:
        for locale in REQUIRED_LOCALES:
            quiz_file = folder / f"quiz.{locale}.gift"
            if not quiz_file.is_file():
                errors.append(ContentError(relative, "quiz", f"quiz settings given but {quiz_file.name} is missing"))
                continue
            quiz_blocks[locale] = count_gift_questions(quiz_file.read_text(encoding="utf-8"))
            if quiz_blocks[locale] == 0:
                errors.append(ContentError(str(quiz_file.relative_to(root)), "", "no GIFT question blocks found"))
    return CourseSource(
        slug=folder.name,
        folder=folder,
        definition=definition,
        lessons=lessons,
        quiz_blocks=quiz_blocks,
        trainer_notes=_load_trainer_notes(folder, root, errors),
    )


def _load_competency_model(root: Path, errors: list[ContentError]) -> CompetencyModelFile | None:
    path = root / "competencies.yaml"
    if not path.is_file():
        return None
    model = parse_yaml(path.read_text(encoding="utf-8"), "competencies.yaml", CompetencyModelFile, errors)
    if model is None:
        return None
    codes = [competency.code for area in model.areas for competency in area.competencies]
    for code in sorted({code for code in codes if codes.count(code) > 1}):
        errors.append(ContentError("competencies.yaml", code, "competency code used twice"))
    for area in model.areas:
        for competency in area.competencies:
            if not competency.code.startswith(area.code):
                errors.append(
                    ContentError(
                        "competencies.yaml", competency.code, f"code must start with its area's code {area.code}"
                    )
                )
            if set(competency.levels) != {1, 2, 3}:
                errors.append(
                    ContentError("competencies.yaml", competency.code, "needs indicators for levels 1, 2 and 3")
                )
    return model


def _load_glossary(root: Path, errors: list[ContentError]) -> GlossaryFile | None:
    path = root / "glossary.yaml"
    if not path.is_file():
        return None
    glossary = parse_yaml(path.read_text(encoding="utf-8"), "glossary.yaml", GlossaryFile, errors)
    if glossary is not None:
        slugs = [entry.slug for entry in glossary.terms]
        for slug in sorted({slug for slug in slugs if slugs.count(slug) > 1}):
            errors.append(ContentError("glossary.yaml", slug, "term listed twice"))
    return glossary


def load_content(root: Path) -> ContentBundle:
    """Read and validate everything under `root`; raises ContentInvalid listing every problem found."""
    errors: list[ContentError] = []
    programmes_path = root / "programmes.yaml"
    if not programmes_path.is_file():
        raise ContentInvalid([ContentError("programmes.yaml", "", "file is missing")])
    programmes = parse_yaml(programmes_path.read_text(encoding="utf-8"), "programmes.yaml", ProgrammesFile, errors)
    programme_codes = {entry.code for entry in programmes.programmes} if programmes else set()
    programme_folders = {entry.code: entry.slug for entry in programmes.programmes} if programmes else {}
    competency_model = _load_competency_model(root, errors)
    competency_codes = (
        {competency.code for area in competency_model.areas for competency in area.competencies}
        if competency_model
        else None
    )
    glossary = _load_glossary(root, errors)
    courses: list[CourseSource] = []
    seen_codes: dict[str, str] = {}
    for course_file in sorted(root.glob("*/*/course.yaml")):
        course = _load_course(course_file.parent, root, programme_codes, competency_codes, errors)
        if course is None:
            continue
        code = course.definition.code
        expected_folder = programme_folders.get(course.definition.programme)
        if expected_folder and course_file.parent.parent.name != expected_folder:
            errors.append(
                ContentError(
                    str(course_file.relative_to(root)),
                    "programme",
                    f"course of programme {course.definition.programme} belongs under {expected_folder}/",
                )
            )
        if code in seen_codes:
            errors.append(
                ContentError(
                    str(course_file.relative_to(root)), "code", f"code {code} is also used by {seen_codes[code]}"
                )
            )
        seen_codes[code] = course.slug
        courses.append(course)
    if errors or programmes is None:
        raise ContentInvalid(errors)
    return ContentBundle(programmes=programmes, courses=courses, competency_model=competency_model, glossary=glossary)
