"""Write README.md from nbs/index.ipynb: the notebook converted to Markdown, without nbdev's `#|` directives,
with links to the chapters and images pointing into nbs/. Cells marked `#| hide` are left out; a code cell marked
`#| echo: false` stands in the README as its Markdown output only (so that figures in the prose are read from the
committed results, not typed): run the notebook first (`python tools/run_nbs.py nbs/index.ipynb`), so that its
outputs are saved.

    python tools/make_readme.py
"""
import re
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter

root = Path(__file__).resolve().parents[1]
nb = nbformat.read(root / 'nbs' / 'index.ipynb', as_version=4)
cells = []
for c in nb.cells:
    if c.cell_type == 'code':
        lines = c.source.splitlines()
        directives = [l for l in lines if l.lstrip().startswith('#|')]
        if any(re.match(r'#\|\s*hide\b', d.strip()) for d in directives): continue      # the page's own imports
        if any(re.match(r'#\|\s*echo:\s*false', d.strip()) for d in directives):
            md = [o['data']['text/markdown'] for o in c.get('outputs', []) if 'text/markdown' in o.get('data', {})]
            if not md:
                raise SystemExit(f"a cell marked `echo: false` has no Markdown output; run the notebook first:\n{c.source}")
            cells.append(nbformat.v4.new_markdown_cell(''.join(md)))
            continue
        while lines and lines[0].lstrip().startswith('#|'): lines.pop(0)
        c.source = '\n'.join(lines)
    cells.append(c)
nb.cells = cells
body, _ = MarkdownExporter().from_notebook_node(nb)
body = re.sub(r'\]\((\d\d_[\w]+\.ipynb)\)', r'](nbs/\1)', body)
body = re.sub(r'\]\((images/[\w.-]+)\)', r'](nbs/\1)', body)
(root / 'README.md').write_text(body.strip() + '\n')
print(f"wrote {root / 'README.md'}")
