"""The clinic's machinery below the use cases: a day's chairs (board), levelling and its repair, the exact
solver, what the book holds (booking), the clinic book (SQLite: book, book_file), what to prepare."""
