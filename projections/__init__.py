"""Read models built only from the journey stream: pure mappers behind a small view port."""
