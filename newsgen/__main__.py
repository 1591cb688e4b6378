"""``python -m newsgen`` = the ``newsgen`` command."""
from newsgen.cli import app

app(prog_name="newsgen")
