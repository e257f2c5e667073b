"""The role x endpoint matrix of ``docs/security.md``, generated from the routes and the grants.

``python -m services.api.security_doc`` rewrites the generated part of docs/security.md (between
its ``<!-- generated -->`` markers); a test fails while the file and the code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from domain.access import GRANTS, HIDDEN_IN_JOURNEY, Permission, Role
from services.api.auth import allowed_roles, route_permissions

START = "<!-- generated: python -m services.api.security_doc -->"
END = "<!-- end generated -->"
PUBLIC = ("GET /docs", "GET /openapi.json", "GET /health/live", "GET /health/ready")


def matrix() -> str:
    """The generated tables, as markdown."""
    from services.api.app import ROUTERS  # noqa: PLC0415 -- the app imports every route module

    roles = list(Role)
    lines = [
        "### Who may call what", "",
        "| Endpoint | Needs | " + " | ".join(r.value for r in roles) + " |",
        "|---|---|" + "---|" * len(roles),
    ]
    for (method, path), permissions in sorted(route_permissions(ROUTERS).items(), key=lambda i: (i[0][1], i[0][0])):
        allowed = set(allowed_roles(permissions))
        cells = " | ".join("yes" if r in allowed else "403" for r in roles)
        lines.append(f"| `{method} {path}` | {', '.join(p.value for p in permissions)} | {cells} |")
    lines += ["", "Public (no credentials): " + ", ".join(f"`{p}`" for p in PUBLIC) + ".", "",
              "### What each role is granted", "", "| Role | Permissions |", "|---|---|"]
    for role in roles:
        granted = [p.value for p in Permission if p in GRANTS[role]]
        lines.append(f"| {role.value} | {', '.join(granted) or '(none)'} |")
    lines += ["", "### What a role is not shown", "", "| Role | In a customer's journey |", "|---|---|"]
    for role, (types, fields) in HIDDEN_IN_JOURNEY.items():
        lines.append(
            f"| {role.value} | the data of {', '.join(sorted(types))}; the fields {', '.join(sorted(fields))} "
            "of every touchpoint (named under `data.hidden`) |"
        )
    return "\n".join(lines) + "\n"


def render(document: str) -> str:
    """``document`` with its generated part replaced by the current matrix."""
    head, _, rest = document.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{matrix()}{END}{tail}"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/security.md")
    path.write_text(render(path.read_text()))


if __name__ == "__main__":
    main()
