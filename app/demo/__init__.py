"""Demo data for benchmarks and demonstrations: large, realistic and clearly marked as demo."""
