"""The course's links: its Binder badge and launch links, and the nbgitpuller link for a JupyterHub.

    python3 scripts/links.py                                       # this course's links
    python3 scripts/links.py --repo https://github.com/ME/gru-lesson --branch main
    python3 scripts/links.py --hub https://hub.example.edu         # adds the nbgitpuller link
    python3 scripts/links.py --hub https://hub.example.edu --path student/notebooks

REPOSITORY below is the one place the course's public address is written; the README, the
teacher's guide and the notebooks use it, and a test holds them to it. A fork passes its own
address with --repo. Binder builds only a public repository on GitHub at that address: a link
to a private repository, or to one that does not exist, ends in Binder's "could not resolve
ref" page. The nbgitpuller link works with any repository the hub can `git clone`, public or
on the hub's own network. Standard library only: any Python 3 runs it.
"""

from __future__ import annotations

import argparse
import re
import sys
from urllib.parse import quote, urlencode

REPOSITORY = "https://github.com/gru-lesson/gru-lesson"
FIRST_NOTEBOOK = "00_start_here.ipynb"
EXPLORER = "05_gate_explorer.ipynb"
BADGE_IMAGE = "https://mybinder.org/badge_logo.svg"
GITHUB = re.compile(r"^https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def github_owner_and_name(repo):
    """``("OWNER", "NAME")`` of a GitHub address; Binder's ``gh`` links need one."""
    found = GITHUB.match(repo)
    if not found:
        raise ValueError(
            f"{repo!r} is not a GitHub repository address (https://github.com/OWNER/NAME): "
            "Binder's links name a GitHub repository"
        )
    return found.groups()


def binder_url(repo=REPOSITORY, ref="HEAD", urlpath=f"lab/tree/notebooks/{FIRST_NOTEBOOK}"):
    """Binder's launch link: JupyterLab at a notebook, or any other ``urlpath``."""
    owner, name = github_owner_and_name(repo)
    return f"https://mybinder.org/v2/gh/{owner}/{name}/{quote(ref, safe='')}?urlpath={urlpath}"


def binder_badge(repo=REPOSITORY, ref="HEAD", label="Launch the course on Binder", **kwargs):
    """The Markdown of a Binder badge that launches the course."""
    return f"[![{label}]({BADGE_IMAGE})]({binder_url(repo, ref, **kwargs)})"


def voila_url(repo=REPOSITORY, ref="HEAD"):
    """Binder's link to the gate explorer as a Voila app."""
    return binder_url(repo, ref, urlpath=f"voila/render/notebooks/{EXPLORER}")


def folder_name(repo):
    """The folder nbgitpuller clones ``repo`` into: the last part of its address, as it is."""
    return repo.rstrip("/").rsplit("/", 1)[-1]


def nbgitpuller_url(hub, repo=REPOSITORY, branch=None, path="notebooks"):
    """A link that logs a student into ``hub``, clones (or updates) ``repo`` in their home
    folder and opens notebook 00 of ``path`` in JupyterLab. Each value is URL-encoded.
    Without a branch, nbgitpuller takes the repository's default branch."""
    hub = hub.rstrip("/")
    if not re.match(r"^https?://[^/\s]+$", hub):
        raise ValueError(f"{hub!r} is not a hub address such as https://hub.example.edu")
    values = {"repo": repo, **({"branch": branch} if branch else {})}
    values["urlpath"] = f"lab/tree/{folder_name(repo)}/{path.strip('/')}/{FIRST_NOTEBOOK}"
    query = urlencode(values, quote_via=quote, safe="")
    return f"{hub}/hub/user-redirect/git-pull?{query}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", default=REPOSITORY, help=f"default: {REPOSITORY}")
    parser.add_argument(
        "--branch",
        help="the branch to launch or pull (default: the repository's default branch)",
    )
    parser.add_argument("--hub", help="the hub's address, e.g. https://hub.example.edu")
    parser.add_argument(
        "--path",
        default="notebooks",
        help="the folder of the notebooks in the repository, e.g. student/notebooks for a "
        "committed student edition (default: notebooks)",
    )
    args = parser.parse_args(argv)
    ref = args.branch or "HEAD"
    try:
        if GITHUB.match(args.repo):
            lines = [
                f"Binder badge (Markdown): {binder_badge(args.repo, ref)}",
                f"Binder, JupyterLab at notebook 00: {binder_url(args.repo, ref)}",
                f"Binder, the gate explorer as an app: {voila_url(args.repo, ref)}",
            ]
        else:
            lines = [f"No Binder links: {args.repo} is not on GitHub."]
        if args.hub:
            lines.append(
                f"JupyterHub, nbgitpuller: "
                f"{nbgitpuller_url(args.hub, args.repo, args.branch, args.path)}"
            )
    except ValueError as error:
        sys.exit(f"links: {error}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
