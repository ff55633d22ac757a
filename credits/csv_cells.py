"""CSV cells a spreadsheet shows as text: the guard against formula (CSV) injection in every export."""

# Excel, LibreOffice and Sheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as CSV text (None: empty); a leading quote defuses a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
