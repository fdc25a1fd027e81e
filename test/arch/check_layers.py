"""The layers of lib/ point one way: no folder includes one above it, so there is no include
cycle between folders, and each folder includes only those below it in LAYERS. Prints every
include that breaks the order (file, line, header) and exits 1 if there is one.

    python3 test/arch/check_layers.py [SOURCE_DIR]
"""

import os
import re
import sys

# bottom first; a folder may include itself and the folders listed before it
LAYERS = ["core", "config", "net", "router", "http", "plugin", "metrics", "balancer", "snapshot",
          "log", "auth", "admin", "proxy", "pipeline", "runtime"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"')


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    lib = os.path.join(src, "lib")
    rank = {name: i for i, name in enumerate(LAYERS)}
    bad = []
    folders = sorted(d for d in os.listdir(lib) if os.path.isdir(os.path.join(lib, d)))
    for d in folders:
        if d not in rank:
            bad.append("lib/%s: a folder missing from LAYERS in %s" % (d, __file__))
            continue
        for name in sorted(os.listdir(os.path.join(lib, d))):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(lib, d, name)
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    to = m.group(1)
                    if to == d:
                        continue
                    if to not in rank:
                        bad.append("lib/%s/%s:%d: includes %s/, which is not a layer of lib/"
                                   % (d, name, n, to))
                    elif rank[to] > rank[d]:
                        bad.append("lib/%s/%s:%d: %s/ includes %s/, a layer above it"
                                   % (d, name, n, d, to))
    for b in bad:
        print(b)
    print("%d folders, %d includes against the layer order" % (len(folders), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
