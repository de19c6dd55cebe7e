"""Make the book citable: visible stable labels, an index of them, and the build's version.

How to cite tells readers to cite a theorem by its label ("Theorem `thm-bias-expectation`"),
because displayed numbers shift when chapters are added. This extension makes that possible:

- every labelled theorem, proposition, lemma, algorithm, definition, ... (sphinx-proof) and
  exercise (sphinx-exercise) shows its label next to its number, as a permalink to itself, with a
  button that copies the link (`_static/citable.js`);
- the `{citable-index}` directive renders a table of all of them (number, title, label, page),
  ordered as the book reads, for the index page linked from the landing page and the toc;
- the footer of every page says which version (from `CITATION.cff`) and which git commit the
  site was built from, so that "Theorem 2.1 in version 1.0" means one thing.

It only adds markup: it never renames an id, so existing links keep working.
"""

from __future__ import annotations

import html
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

# sphinx-proof writes an unlabelled statement's id as "<type>-<serial>", sphinx-exercise as
# "<docname>-exercise-<serial>": such ids change whenever a statement is added before them, so
# they are not shown as citable labels.
_AUTOMATIC_ID = re.compile(r"^[a-z]+-\d+$|/")
_VERSION_LINE = re.compile(r"^version:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


def _labelled_statement(node: nodes.Node) -> tuple[str, str] | None:
    """(label, kind) of a sphinx-proof or sphinx-exercise box with a stable label, else None."""
    if not isinstance(node, nodes.Element) or "label" not in node.attributes:
        return None
    if "realtype" in node.attributes:  # sphinx-proof: theorem, lemma, algorithm, ...
        kind = node["realtype"]
        if kind == "proof":
            return None
    elif node.tagname in ("exercise_node", "exercise_enumerable_node"):
        kind = "exercise"
    else:
        return None
    label = node["label"]
    if not label or _AUTOMATIC_ID.search(label):
        return None
    return label, kind


def _title_of(node: nodes.Element) -> nodes.title | None:
    for child in node.children:
        if isinstance(child, nodes.title):
            return child
    return None


# The words this extension writes, in the Chinese edition (tests/editions.py).
_WORDS = {
    "zh_CN": {
        "Permanent link to": "永久链接：",
        "Copy the permanent link to": "复制永久链接：",
        "copy link": "复制链接",
        "label (cite this)": "标签（引用时使用）",
        "statement": "内容",
        "chapter": "章",
        "theorem": "定理",
        "proposition": "命题",
        "lemma": "引理",
        "corollary": "推论",
        "definition": "定义",
        "algorithm": "算法",
        "conjecture": "猜想",
        "exercise": "练习",
        "remark": "注",
        "example": "例",
        "assumption": "假设",
        "observation": "观察",
        "property": "性质",
        "criterion": "判据",
        "axiom": "公理",
    }
}
_language = ["en"]
# The footer's sentence in each edition: (sentence, release clause, uncommitted-changes clause).
_FOOTERS = {
    "en": (
        "Version {version}{release}, built on {date} from commit {commit}{dirty}.",
        " (release {})",
        " with uncommitted changes",
    ),
    "zh_CN": (
        "版本 {version}{release}，构建于 {date}，来自提交 {commit}{dirty}。",
        "（发布 {}）",
        "（含未提交的修改）",
    ),
}


def _(words: str) -> str:
    return _WORDS.get(_language[0], {}).get(words, words)


def _badge(label: str) -> str:
    quoted = html.escape(label, quote=True)
    return (
        f'<span class="citable-label">'
        f'<a class="citable-permalink" href="#{quoted}" title="{_("Permanent link to")} {quoted}">'
        f"<code>{html.escape(label)}</code></a>"
        f'<button type="button" class="citable-copy" data-label="{quoted}" '
        f'title="{_("Copy the permanent link to")} {quoted}" '
        f'aria-label="{_("Copy the permanent link to")} {quoted}">{_("copy link")}</button>'
        f"</span>"
    )


# --- The index of labelled statements. --------------------------------------------------------


class citable_index(nodes.General, nodes.Element):
    """Placeholder replaced by the table of labelled statements once numbers are known."""


class CitableIndexDirective(SphinxDirective):
    has_content = False

    def run(self):
        return [citable_index()]


def _collect(app, doctree) -> None:
    env = app.env
    registry = env.__dict__.setdefault("citable_statements", {})
    entries = []
    for node in doctree.findall(nodes.Element):
        found = _labelled_statement(node)
        if found is None:
            continue
        label, kind = found
        entries.append((label, kind, node.get("countertype", "exercise"), _title_nodes(node)))
    registry[env.docname] = entries
    if any(doctree.findall(citable_index)):
        # The index is filled in after reading, with titles that may hold math: Sphinx adds
        # MathJax only to pages it found math on while reading them (the math domain has just
        # looked, before this event).
        env.get_domain("math").data["has_equations"][env.docname] = True


def _title_nodes(node: nodes.Element) -> list[nodes.Node]:
    """Copies of the inline nodes of a statement's own title (math stays math), unbracketed."""
    title = _title_of(node)
    if title is None:
        return []
    if node.tagname.startswith("exercise"):
        subtitle = next(title.findall(lambda n: n.tagname == "exercise_subtitle"), None)
        parts = [child.deepcopy() for child in subtitle.children] if subtitle else []
    else:
        parts = [child.deepcopy() for child in title.children if not isinstance(child, nodes.raw)]
    # sphinx-proof writes the title as "(%t)"; a Chinese translation of it as "（%t）".
    if parts and isinstance(parts[0], nodes.Text) and parts[0].astext().lstrip()[:1] in "(（":
        parts[0] = nodes.Text(parts[0].astext().lstrip()[1:])
    if parts and isinstance(parts[-1], nodes.Text) and parts[-1].astext().rstrip()[-1:] in ")）":
        parts[-1] = nodes.Text(parts[-1].astext().rstrip()[:-1])
    return [part for part in parts if part.astext()]


def _purge(app, env, docname) -> None:
    env.__dict__.setdefault("citable_statements", {}).pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    mine = env.__dict__.setdefault("citable_statements", {})
    for docname in docnames:
        if docname in other.__dict__.get("citable_statements", {}):
            mine[docname] = other.citable_statements[docname]


def _reading_order(env) -> list[str]:
    order: list[str] = []

    def walk(docname: str) -> None:
        if docname in order:
            return
        order.append(docname)
        for child in env.toctree_includes.get(docname, []):
            walk(child)

    walk(env.config.root_doc)
    return order


def _index_table(app, fromdocname: str) -> nodes.Node:
    env = app.env
    builder = app.builder
    registry = env.__dict__.get("citable_statements", {})
    rows = []
    for docname in _reading_order(env):
        for label, kind, countertype, title in registry.get(docname, []):
            numbers = env.toc_fignumbers.get(docname, {}).get(countertype, {}).get(label)
            number = ".".join(str(n) for n in numbers) if numbers else ""
            rows.append((docname, label, kind, number, title))

    # "colwidths-given": the LaTeX writer sets the widths below (p columns) instead of "lll".
    table = nodes.table(classes=["citable-index", "colwidths-given"])
    group = nodes.tgroup(cols=3)
    table += group
    for width in (34, 42, 24):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body

    def row(cells) -> nodes.row:
        r = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            if isinstance(cell, list):
                entry += nodes.paragraph("", "", *(part.deepcopy() for part in cell))
            elif isinstance(cell, nodes.Node):
                entry += cell
            else:
                entry += nodes.paragraph(text=cell)
            r += entry
        return r

    # The label first: it is what a reader comes for, and the column that stays in view on a phone.
    head += row([_("label (cite this)"), _("statement"), _("chapter")])
    for docname, label, kind, number, title in rows:
        uri = builder.get_relative_uri(fromdocname, docname) + "#" + label
        link = nodes.paragraph()
        ref = nodes.reference("", "", internal=True, refuri=uri)
        ref += nodes.literal(text=label)
        link += ref
        chapter = env.titles[docname].astext() if docname in env.titles else docname
        name = _(kind) if kind in _WORDS.get(_language[0], {}) else kind.title()
        statement = [nodes.strong(text=f"{name} {number}".strip())]
        if title:
            opening, closing = ("（", "）") if _language[0] == "zh_CN" else (" (", ")")
            statement += [nodes.Text(opening), *title, nodes.Text(closing)]
        body += row([link, statement, chapter])
    return table


# --- Rendering. -------------------------------------------------------------------------------


def _resolve(app, doctree, fromdocname) -> None:
    if app.builder.format == "html":
        for node in doctree.findall(nodes.Element):
            found = _labelled_statement(node)
            title = _title_of(node) if found else None
            if title is not None:
                title += nodes.raw("", _badge(found[0]), format="html")
    for placeholder in list(doctree.findall(citable_index)):
        placeholder.replace_self(_index_table(app, fromdocname))


# --- Version and commit in the footer. ----------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def build_info(root: Path) -> dict[str, str]:
    """Version (CITATION.cff), commit and whether the work tree had uncommitted changes."""
    citation = root / "CITATION.cff"
    found = _VERSION_LINE.search(citation.read_text()) if citation.is_file() else None
    commit = _git(root, "rev-parse", "HEAD")
    return {
        "version": found.group(1) if found else "unversioned",
        "commit": commit,
        "short": commit[:7] if commit else "unknown",
        # A release is a commit tagged v<version> (`make release VERSION=x.y`).
        "release": _git(root, "describe", "--tags", "--exact-match", "--match", "v*", "HEAD"),
        "dirty": "yes" if _git(root, "status", "--porcelain", "--untracked-files=no") else "",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }


def footer_html(info: dict[str, str], repository: str) -> str:
    commit = html.escape(info["short"])
    if info["commit"] and repository:
        commit = (
            f'<a href="{html.escape(repository.rstrip("/"))}/tree/{info["commit"]}">'
            f"<code>{commit}</code></a>"
        )
    elif info["commit"]:
        commit = f"<code>{commit}</code>"
    sentence, release, dirty = _FOOTERS.get(_language[0], _FOOTERS["en"])
    text = sentence.format(
        version=f'<span class="build-version">{html.escape(info["version"])}</span>',
        release=release.format(html.escape(info["release"])) if info["release"] else "",
        date=info["date"],
        commit=f'<span class="build-commit">{commit}</span>',
        dirty=dirty if info["dirty"] else "",
    )
    return f'<p class="build-info">{text}</p>'


def _footer(app, config) -> None:
    _language[0] = config.language or "en"
    info = build_info(Path(app.srcdir))
    options = dict(config.html_theme_options or {})
    repository = options.get("repository_url", "")
    options["extra_footer"] = options.get("extra_footer", "") + footer_html(info, repository)
    config.html_theme_options = options
    config.html_context = {**(config.html_context or {}), "build_info": info}


def _static_changed(app, env, added, changed, removed) -> list[str]:
    """Rebuild the landing page when a file of _static/ is newer than its copy in the output.

    Sphinx copies the static files only when it writes some page, so an edit to _static/fit.css
    alone would otherwise never reach _build/html; writing one page copies all of them."""
    source = Path(app.srcdir) / "_static"
    target = Path(app.outdir) / "_static"
    for path in source.rglob("*") if source.is_dir() else []:
        copy = target / path.relative_to(source)
        if path.is_file() and (not copy.is_file() or copy.stat().st_mtime < path.stat().st_mtime):
            return [app.config.root_doc]
    return []


def setup(app):
    app.add_node(citable_index)
    app.add_directive("citable-index", CitableIndexDirective)
    app.connect("config-inited", _footer)
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-resolved", _resolve)
    app.connect("env-get-outdated", _static_changed)
    # _static/citable.css and citable.js are added to every page by jupyter-book, like every
    # stylesheet and script in _static/.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 5}
