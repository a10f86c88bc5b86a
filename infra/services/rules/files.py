"""Rules of what a workload writes: writable paths and secret files."""

from __future__ import annotations

from infra.services.patterns import (
    SECRET_FILE_NAME,
)
from infra.services.rules.registry import (
    Workload,
    workload_rule,
)
from infra.services.rules.secrets import key_vault_ref
from infra.services.spec import (
    SECRET_FILES_MOUNT,
    file_secret_name,
)


@workload_rule("writable-paths")
def writable_paths(c: Workload) -> None:
    """Containers run with a read-only root file system; what they write must be a declared, distinct
    path (an emptyDir on AKS, an ephemeral volume on Container Apps)."""
    seen: set[str] = set()
    for index, path in enumerate(c.spec.writable_paths):
        if not path.startswith("/") or path == "/" or path in seen:
            c.add(
                f"writable_paths[{index}]",
                path,
                "must be a distinct absolute path other than /",
                "use e.g. /tmp or /var/cache/app",
            )
        seen.add(path)


@workload_rule("secret-files")
def secret_files(c: Workload) -> None:
    """Secrets mounted as files come from one vault through one read-only volume, with names that are
    valid file names on both targets."""
    files = c.spec.secret_files
    for file, ref in sorted(files.items()):
        path = f"secret_files[{file!r}]"
        if not SECRET_FILE_NAME.match(file):
            c.add(
                path,
                None,
                "is not a file name for a secret",
                "use 1-63 lowercase letters, digits and '-', e.g. db-password",
            )
        # Container Apps secret names of env secrets: patterns.env_secret_name.
        elif file_secret_name(file) in {v.lower().replace("_", "-") for v in c.spec.secrets}:
            c.add(
                path,
                None,
                f"clashes with the Container Apps secret of env var {file_secret_name(file)!r}",
                "rename the file or the variable",
            )
        key_vault_ref(c, path, ref)
    if len({ref.vault_id for ref in files.values()}) > 1:
        c.add(
            "secret_files",
            None,
            "reads from more than one vault (one read-only volume holds them all)",
            "keep a service's secret files in one vault, or pass the others in secrets",
        )
    for index, writable in enumerate(c.spec.writable_paths):
        if files and (
            writable == SECRET_FILES_MOUNT or writable.startswith(f"{SECRET_FILES_MOUNT}/")
        ):
            c.add(
                f"writable_paths[{index}]",
                writable,
                f"is where secret files are mounted ({SECRET_FILES_MOUNT})",
                "use another path",
            )
