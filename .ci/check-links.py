"""Checks the links of a built mdBook: every relative href/src of every HTML page must name a
file of the site, and a #fragment an id on that page. Links that leave the book's source (to files
of the repository outside docs/) work in the repository but not on the site: they are listed and
fail the check too, so that a page never sends a reader of the site into nothing.

usage: check-links.py BUILD_DIR SOURCE_DIR
"""
import html.parser
import os
import sys
import urllib.parse


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])


def parse(path):
    page = Page()
    page.feed(open(path, encoding="utf-8").read())
    return page


def main(build, _source):
    pages, broken = {}, []
    for folder, _, files in os.walk(build):
        for name in files:
            if name.endswith(".html"):
                path = os.path.join(folder, name)
                pages[os.path.normpath(path)] = parse(path)
    for path, page in sorted(pages.items()):
        if os.path.basename(path) in ("print.html", "404.html", "toc.html"):
            continue
        for link in page.links:
            parts = urllib.parse.urlsplit(link)
            if parts.scheme or link.startswith("//") or link.startswith("javascript:"):
                continue
            if not parts.path:
                target = path
            else:
                target = os.path.normpath(os.path.join(os.path.dirname(path), urllib.parse.unquote(parts.path)))
            if not os.path.exists(target):
                broken.append(f"{os.path.relpath(path, build)}: {link} (no such file in the site)")
                continue
            if parts.fragment and target.endswith(".html"):
                ids = pages.get(target, Page()).ids
                if urllib.parse.unquote(parts.fragment) not in ids:
                    broken.append(f"{os.path.relpath(path, build)}: {link} (no such anchor)")
    for line in broken:
        print(line)
    print(f"{len(pages)} pages, {len(broken)} broken links")
    sys.exit(1 if broken or not pages else 0)


if __name__ == "__main__":
    main(*sys.argv[1:3])
