"""The book's editions: English at the site's root, Simplified Chinese under `zh/`.

The Chinese edition is the English book built a second time with `language: zh_CN`: the same
pages, the same execution cache (nothing is executed again), the prose replaced by the
translations in `locale/zh_CN/LC_MESSAGES/` (see `_ext/edition.py` and `tests/translation.py`).
Its configuration is the English `_config.yml` with the overrides below, written to
`_build/zh/_config.yml`; its site is built in `_build/zh/_build/html` and copied to
`_build/html/zh/`, its PDF to `_build/html/` beside the English one.

    .venv/bin/python -m tests.editions html    # after `make book` built the English site
    .venv/bin/python -m tests.editions pdf     # after `make pdf`
"""

from __future__ import annotations

import argparse
import copy
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
SUBDIR = "zh"
BUILD_DIR = ROOT / "_build" / SUBDIR
CONFIG = BUILD_DIR / "_config.yml"
TOC = BUILD_DIR / "_toc.yml"
# The parts' captions of _toc.yml (sphinx-external-toc writes them where gettext cannot reach):
# a caption missing here fails the build of the Chinese edition.
CAPTIONS = {
    "Start here": "从这里开始",
    "Adam, derived and executed": "Adam：推导与执行",
    "Appendix: the seed post": "附录：源博文",
    "Back matter": "书末资料",
}
SITE_DIR = ROOT / "_build" / "html"
PDF_NAME = "adam-derived-and-executed-zh.pdf"
TITLE = "Adam：推导与执行"
AUTHOR = "adamlib 作者"
FOOTER = (
    '<p>正文采用 <a href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a> 许可，'
    "代码采用 MIT 许可。本书页面上的每个数字都是在构建本书时计算得出的。</p>\n"
)
# XeLaTeX with xeCJK: Chinese in Noto (Debian's fonts-noto-cjk), the rest as in English.
CJK_PREAMBLE = (
    "\\usepackage{xeCJK}\n"
    # Chinese has no italics: emphasis in the sans-serif face.
    "\\setCJKmainfont[ItalicFont=Noto Sans CJK SC]{Noto Serif CJK SC}\n"
    "\\setCJKsansfont{Noto Sans CJK SC}\n"
    "\\setCJKmonofont{Noto Sans Mono CJK SC}\n"
    # fncychap's "CHAPTER" above the number: a Chinese chapter shows its number alone.
    "\\AtBeginDocument{\\renewcommand{\\chaptername}{}}\n"
)


def config() -> dict:
    """The Chinese edition's configuration: the English one, in Chinese, at `zh/`."""
    english = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    chinese = copy.deepcopy(english)
    chinese["title"] = TITLE
    # The English execution cache, read in place: nothing is executed for this edition.
    chinese["execute"]["cache"] = str(ROOT / english["execute"]["cache"])
    chinese["author"] = AUTHOR
    # Paths of local extensions are read relative to the configuration file, which is elsewhere.
    chinese["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in english["sphinx"]["local_extensions"].items()
    }
    sphinx = chinese["sphinx"]["config"]
    sphinx["language"] = LANGUAGE
    # MyST-NB's buttons on folded code cells.
    sphinx["nb_code_prompt_show"] = "显示代码单元"
    sphinx["nb_code_prompt_hide"] = "隐藏代码单元"
    elements = sphinx.setdefault("latex_elements", {})
    elements["preamble"] = CJK_PREAMBLE + elements.get("preamble", "")
    html = chinese["html"]
    html["baseurl"] = english["html"]["baseurl"].rstrip("/") + f"/{SUBDIR}/"
    html["extra_footer"] = FOOTER
    chinese["latex"]["latex_documents"]["targetname"] = PDF_NAME.replace(".pdf", ".tex")
    return chinese


def toc() -> dict:
    """The English table of contents with the parts' captions in Chinese."""
    contents = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for part in contents.get("parts", []):
        if "caption" in part:
            part["caption"] = CAPTIONS[part["caption"]]
    return contents


def write_config() -> Path:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    text = "# Written by tests/editions.py from _config.yml: edit that, not this.\n"
    text += yaml.safe_dump(config(), allow_unicode=True, sort_keys=False)
    CONFIG.write_text(text, encoding="utf-8")
    text = "# Written by tests/editions.py from _toc.yml: edit that, not this.\n"
    TOC.write_text(text + yaml.safe_dump(toc(), allow_unicode=True, sort_keys=False))
    return CONFIG


def build(builder: str) -> None:
    """Build the Chinese edition (`html` or `pdf`) strictly, as `make book`/`make pdf` build the
    English one, then put it beside the English site."""
    write_config()
    command = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(ROOT),
        "--config",
        str(CONFIG),
        "--toc",
        str(TOC),
        "--path-output",
        str(BUILD_DIR),
        "-W",
        "-n",
        "--keep-going",
    ]
    if builder == "pdf":
        command += ["--builder", "pdflatex"]
    done = subprocess.run(command, cwd=ROOT, check=False)
    if done.returncode:
        shutil.rmtree(BUILD_DIR / "_build" / ".doctrees", ignore_errors=True)
        raise SystemExit(done.returncode)
    SITE_DIR.mkdir(parents=True, exist_ok=True)
    if builder == "pdf":
        shutil.copy2(BUILD_DIR / "_build" / "latex" / PDF_NAME, SITE_DIR / PDF_NAME)
        return
    target = SITE_DIR / SUBDIR
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(BUILD_DIR / "_build" / "html", target)


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the Chinese edition.")
    parser.add_argument("builder", choices=["html", "pdf"])
    build(parser.parse_args().builder)


if __name__ == "__main__":
    main()
