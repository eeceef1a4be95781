"""Write README.md from nbs/index.ipynb: the notebook converted to Markdown, without nbdev's `#|` directives,
with links to the chapters and images pointing into nbs/.

    python tools/make_readme.py
"""
import re
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

root = Path(__file__).resolve().parents[1]
nb = nbformat.read(root / 'nbs' / 'index.ipynb', as_version=4)
for c in nb.cells:
    if c.cell_type == 'code':
        lines = c.source.splitlines()
        while lines and lines[0].lstrip().startswith('#|'): lines.pop(0)
        c.source = '\n'.join(lines)
body, _ = MarkdownExporter().from_notebook_node(nb)
body = re.sub(r'\]\((\d\d_[\w]+\.ipynb)\)', r'](nbs/\1)', body)
body = re.sub(r'\]\((images/[\w.-]+)\)', r'](nbs/\1)', body)
(root / 'README.md').write_text(body.strip() + '\n')
print(f"wrote {root / 'README.md'}")
