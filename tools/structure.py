"""The library's shape in figures: long functions, long modules, and private names used across modules.

Usage: python tools/structure.py [--max-function 60] [--max-module 500]

Prints every library function longer than --max-function lines, every module longer than --max-module lines
(nbdev's `_modidx.py` aside), and every place where a module imports or reaches into another module's private
(underscored) names. Exits 1 when any is found, so it can guard the shape in a test.
"""
import argparse, ast, sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'neuron_concepts'


def functions(tree):
    "(qualified name, lines) of every function and method, nested ones included."
    out = []

    def visit(node, prefix):
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((prefix + ch.name, ch.end_lineno - ch.lineno + 1))
                visit(ch, prefix + ch.name + '.')
            elif isinstance(ch, ast.ClassDef):
                visit(ch, prefix + ch.name + '.')
            else:
                visit(ch, prefix)

    visit(tree, '')
    return out


def private_uses(tree, modules):
    "Imports of `_name` from a sibling module, and `module._name` attribute reads on a sibling or an instance."
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or '').startswith('neuron_concepts')):
            mod = (node.module or '').split('.')[-1]
            for a in node.names:
                if a.name.startswith('_') and not a.name.startswith('__'):
                    out.append((node.lineno, f'from {mod} import {a.name}'))
        elif isinstance(node, ast.Attribute) and node.attr.startswith('_') and not node.attr.startswith('__'):
            base = node.value
            if isinstance(base, ast.Name) and base.id in modules:
                out.append((node.lineno, f'{base.id}.{node.attr}'))
            elif isinstance(base, ast.Name) and base.id not in ('self', 'cls') and base.id.endswith('cache'):
                out.append((node.lineno, f'{base.id}.{node.attr}'))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--max-function', type=int, default=60)
    p.add_argument('--max-module', type=int, default=500)
    a = p.parse_args(argv)
    files = sorted(f for f in PKG.glob('*.py') if f.name != '_modidx.py')
    modules = {f.stem for f in files}
    long_fns, long_mods, private = [], [], []
    for f in files:
        text = f.read_text(encoding='utf-8')
        tree = ast.parse(text)
        n = len(text.splitlines())
        if n > a.max_module:
            long_mods.append((f.name, n))
        long_fns += [(f.name, q, k) for q, k in functions(tree) if k > a.max_function]
        private += [(f.name, ln, what) for ln, what in private_uses(tree, modules)]
    print(f'modules over {a.max_module} lines: {len(long_mods)}')
    for name, n in sorted(long_mods, key=lambda x: -x[1]):
        print(f'  {name} {n}')
    print(f'functions over {a.max_function} lines: {len(long_fns)}')
    for name, q, k in sorted(long_fns, key=lambda x: -x[2]):
        print(f'  {name}:{q} {k}')
    print(f"private names used across modules: {len(private)}")
    for name, ln, what in private:
        print(f'  {name}:{ln} {what}')
    return 1 if (long_mods or long_fns or private) else 0


if __name__ == '__main__':
    sys.exit(main())
