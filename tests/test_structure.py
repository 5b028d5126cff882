"""The shape of the code, read from the source (nothing is imported or run): gan_core's modules import each other
without circles (imports inside functions count too), no module imports another's private (_) names, the engine
never imports Streamlit, and the README's map names every package and module of gan_core."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gan_core", "gan_ui", "app_pages", "bench", "scripts", "tests")


def _python_files():
    yield ROOT / "app.py"
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(imported module, imported name or None) for every import statement in the file, at any depth."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                yield source, alias.name


def test_gan_core_has_no_import_circles():
    circles = _import_circles("gan_core")
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_no_module_imports_another_modules_private_names():
    private = [(str(path.relative_to(ROOT)), source, name) for path in _python_files()
               for source, name in _imports(path)
               if name and name.startswith("_") and not name.startswith("__")]
    assert not private, private


def test_the_engine_never_imports_streamlit():
    found = [(str(path.relative_to(ROOT)), source) for path in (ROOT / "gan_core").rglob("*.py")
             for source, _ in _imports(path) if source.split(".")[0] == "streamlit"]
    assert not found, found


def test_the_readme_map_names_every_package_and_module_of_the_engine():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## What is in it")
    table = readme[start:readme.index("\n## ", start + 1)]
    missing = []
    for package in sorted(p for p in (ROOT / "gan_core").iterdir() if (p / "__init__.py").is_file()):
        if f"`gan_core/{package.name}/`" not in table:
            missing.append(f"gan_core/{package.name}/")
        missing += [f"{package.name}/{m.name}" for m in sorted(package.glob("*.py"))
                    if m.name != "__init__.py" and f"`{m.name}`" not in table]
    missing += [m.name for m in sorted((ROOT / "gan_core").glob("*.py"))
                if m.name not in ("__init__.py", "__main__.py") and m.name not in table]
    assert not missing, f"not in the README's map: {missing}"


def _import_circles(package: str) -> list[list[str]]:
    """Import circles among `package`'s modules (imports inside functions count: one there only hides a circle)."""
    modules = {_module_name(path): path for path in (ROOT / package).rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for source, imported in _imports(path):
            full = f"{source}.{imported}" if imported else source
            target = full if full in modules else source
            if target in modules and target not in (name, package):
                targets.add(target)
        edges[name] = targets
    circles = []
    for start in sorted(edges):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            if start in edges[node]:
                circles.append(path + [start])
                break
            for target in edges[node] - seen:
                seen.add(target)
                stack.append((target, path + [target]))
    return circles


def test_gan_ui_has_no_import_circles():
    circles = _import_circles("gan_ui")
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_ui_modules_write_only_their_own_widget_keys():
    """A module that owns widgets fills them through its own function (train_form.prefill): no other module writes
    the train form's keys ("hp.<preset>.<name>", "train.*") into session state."""
    owned = {"gan_ui/train_form.py": ("hp.", "train.")}
    found = []
    for path in sorted((ROOT / "gan_ui").glob("*.py")) + sorted((ROOT / "app_pages").glob("*.py")):
        relative = str(path.relative_to(ROOT))
        # the owner's key constants (DATASET_KEY) when another module imports them
        borrowed = {name for source, name in _imports(path) if name and name.endswith("_KEY")
                    and f"{source.replace('.', '/')}.py" in owned and f"{source.replace('.', '/')}.py" != relative}
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                    and "session_state" in ast.unparse(node.value)):
                continue
            key = ast.unparse(node.slice)
            if key in borrowed:
                found.append((relative, node.lineno, key))
            for owner, prefixes in owned.items():
                if relative != owner and any(key.strip("f'\"").startswith(prefix) for prefix in prefixes):
                    found.append((relative, node.lineno, key))
    assert not found, found


LAYERS = ("i18n", "data", "training", "explore", "server")  # gan_core's layers, lowest first


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if parts[0] == "gan_core" and len(parts) > 1 and parts[1] in LAYERS else None


def test_gan_core_layers_import_only_downwards():
    """i18n -> data -> training -> explore -> server: a module imports from its own layer or those before it, never
    from a later one, inside functions too and with no exceptions (gan_core's __init__ and __main__, and the playground
    modules beside them, sit above all)."""
    upward = set()
    for path in (ROOT / "gan_core").rglob("*.py"):
        module = _module_name(path)
        layer = _layer(module)
        if layer is None:
            continue
        for source, imported in _imports(path):
            full = f"{source}.{imported}"  # `from ..training import metrics` imports the module gan_core.training.metrics
            is_module = (ROOT / f"{full.replace('.', '/')}.py").is_file() or (ROOT / full.replace(".", "/")).is_dir()
            target = full if imported and is_module else source
            target_layer = _layer(target)
            if target_layer is not None and target_layer > layer:
                upward.add((module, target))
    assert not upward, f"imports up the layers {LAYERS}: {sorted(upward)}"


def test_every_image_the_pages_show_is_sent_as_the_png_it_is():
    """st.image's default output_format ("auto") turns a PNG without transparency into a JPEG: Streamlit decoded and
    re-encoded every grid on every rerun (the gallery's forty cards, the explorer's slider image), the most costly
    frames of the app's process under a class (py-spy, the load test with the gallery open), and blurred pixel-sharp
    digits. Sent as PNG, the bytes go to the browser as they are."""
    missing = []
    for path in sorted((ROOT / "gan_ui").glob("*.py")) + sorted((ROOT / "app_pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "image" \
                    and not any(k.arg == "output_format" for k in node.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not missing, missing
