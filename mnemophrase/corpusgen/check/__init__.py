"""Reading a finished build back: its files against their record, then its content."""
