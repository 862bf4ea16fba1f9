"""Charts as descriptions: where a figure is built and where a reader's numbers are decided.

No Streamlit here. `charts.view` holds `ChartView` (title, figure, the table behind it, notes, source
and what is withheld); the view functions build them from the store's reads and the filters, with the
public view (small-number protection) applied exactly once. The pages render them; the downloads, the
image exports and the Sitzungsbericht take them from the same place.
"""
