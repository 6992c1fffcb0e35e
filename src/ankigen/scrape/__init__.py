"""The listing importer: a scraped Q&A page to card files."""
