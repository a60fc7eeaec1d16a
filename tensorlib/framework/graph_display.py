"""Pictures of graphs for Jupyter: `Graph`, `Operation` and `Tensor` display as SVG.

The drawing is tensorlib's own, so it needs nothing installed. Each name scope is collapsed
into one box, as in TensorBoard's graph view, and the edges carry the shapes of the tensors
they stand for. Below the picture, each scope unfolds in an HTML `<details>` element into a
picture of its own contents, one level at a time (no script: it works in any notebook viewer).
The output is well-formed XML, so an XML parser reads it too (the tests do).

The layout is a small layered one: an item's layer is one below the lowest of its producers
(in graph order, so a loop's back edge does not lift anything), and one sweep of barycentres
orders each layer to shorten the edges.
"""
import html
import itertools

_OP_HEIGHT = 36
_SCOPE_HEIGHT = 44
_LAYER_GAP = 56     # vertical room between layers, where the shape labels go
_ITEM_GAP = 18
_CHAR_WIDTH = 7     # of the 12px monospace font used for labels
_MAX_LABEL = 28     # characters; longer names are cut in the box, whole in its tooltip
_SHAPE_CHAR_WIDTH = 6   # of the 10px font of the shapes on the edges
_MAX_WIDTH = 480    # of a box widened to give its incoming edges' shapes room
_MAX_BOXES = 150    # in one picture: more are left out (a note says how many)
_MARGIN = 12

# Several pictures share one page in a notebook: each arrowhead id must be unique on it.
_picture_ids = itertools.count()


class _Item:
    """A box of one picture: an op, or a scope whose ops are collapsed into it."""

    def __init__(self, key, prefix, is_scope):
        self.key = key          # the name at its level
        self.full_name = prefix + key
        self.is_scope = is_scope
        self.ops = []
        self.layer = 0
        self.x = self.y = 0.0
        self.min_width = 0  # room for the shapes of the edges that enter it

    @property
    def lines(self):
        if self.is_scope:
            return [self.key, _count(self.ops)]
        op = self.ops[0]
        return [op.type] if op.type == self.key else [op.type, self.key]

    @property
    def width(self):
        longest = max(len(_cut(line)) for line in self.lines)
        return max(longest * _CHAR_WIDTH + 20, 56, self.min_width)

    @property
    def height(self):
        return _SCOPE_HEIGHT if self.is_scope else _OP_HEIGHT


def _count(ops):
    return "1 op" if len(ops) == 1 else f"{len(ops)} ops"


def _cut(text):
    return text if len(text) <= _MAX_LABEL else text[:_MAX_LABEL - 1] + "\u2026"


def _elements(element):
    """(ops to draw, ops to highlight, caption) for a Graph, Operation or Tensor."""
    if hasattr(element, "get_operations"):
        return element.get_operations(), set(), "Graph"
    op = getattr(element, "op", element)
    # The op with everything it depends on: what a session runs to compute it.
    needed, stack = set(), [op]
    while stack:
        current = stack.pop()
        if current not in needed:
            needed.add(current)
            stack.extend(t.op for t in current.inputs)
            stack.extend(current.control_inputs)
    ops = [o for o in op.graph.get_operations() if o in needed]
    return ops, {op}, repr(element)


def _items(ops, prefix):
    """The boxes of the level `prefix` (a scope name ending in '/', or '') and, for each op,
    its box. An op named like a scope at its level (a variable and its ops) joins the scope."""
    # The op named like the scope itself (a variable, inside its own scope) keeps its name.
    relative = [op.name[len(prefix):] or op.name.rsplit("/", 1)[-1] for op in ops]
    scopes = {name.split("/", 1)[0] for name in relative if "/" in name}
    items, item_of = {}, {}
    for op, name in zip(ops, relative):
        head = name.split("/", 1)[0]
        key = head if head in scopes else name
        item = items.get(key)
        if item is None:
            item = items[key] = _Item(key, prefix, key in scopes)
        item.ops.append(op)
        item_of[op] = item
    return list(items.values()), item_of


def _edges(item_of):
    """{(producer box, consumer box): [tensors]} (an empty list for control edges only)."""
    edges = {}
    for op, consumer in item_of.items():
        for tensor in op.inputs:
            producer = item_of.get(tensor.op)
            if producer is not None and producer is not consumer:
                tensors = edges.setdefault((producer, consumer), [])
                if tensor not in tensors:
                    tensors.append(tensor)
        for control in op.control_inputs:
            producer = item_of.get(control)
            if producer is not None and producer is not consumer:
                edges.setdefault((producer, consumer), [])
    return edges


def _shown(ops, prefix, highlight):
    """(boxes, each op's box, how many boxes are left out) of the picture of level `prefix`:
    at most _MAX_BOXES, the first of a graph, the last (nearest) of what an op depends on."""
    items, item_of = _items(ops, prefix)
    left_out = max(len(items) - _MAX_BOXES, 0)
    if left_out:
        items = items[-_MAX_BOXES:] if highlight else items[:_MAX_BOXES]
        kept = set(items)
        item_of = {op: item for op, item in item_of.items() if item in kept}
    return items, item_of, left_out


def _layout(items, edges, top):
    """Sets each item's layer and position, the first layer at `top`; returns the picture's
    (width, height)."""
    order = {item: i for i, item in enumerate(items)}
    producers = {item: [] for item in items}
    for producer, consumer in edges:
        if order[producer] < order[consumer]:
            producers[consumer].append(producer)
    for item in items:
        item.layer = max((p.layer + 1 for p in producers[item]), default=0)
    layers = [[] for _ in range(max((item.layer for item in items), default=0) + 1)]
    for item in items:
        layers[item.layer].append(item)
    # Barycentre ordering: each item goes under the mean position of its producers.
    rank = {}
    for layer in layers:
        if rank:
            layer.sort(key=lambda item: (
                sum(rank[p] for p in producers[item]) / len(producers[item])
                if producers[item] else order[item] / len(items)))
        rank.update((item, i) for i, item in enumerate(layer))
    widths = [sum(item.width for item in layer) + _ITEM_GAP * (len(layer) - 1)
              for layer in layers]
    total_width = max(widths) + 2 * _MARGIN
    y = top
    for layer, width in zip(layers, widths):
        x = (total_width - width) / 2
        for item in layer:
            item.x, item.y = x, y + (_SCOPE_HEIGHT - item.height) / 2
            x += item.width + _ITEM_GAP
        y += _SCOPE_HEIGHT + _LAYER_GAP
    return total_width, y - _LAYER_GAP + _MARGIN


def _ports(edges):
    """{edge: ((x, y) where it leaves its producer, (x, y) where it enters its consumer)}:
    the edges of a box spread along its side in the order of the boxes at their other ends,
    so that they do not cross there."""
    leaving, entering = {}, {}
    for producer, consumer in edges:
        leaving.setdefault(producer, []).append(consumer)
        entering.setdefault(consumer, []).append(producer)

    def spread(item, others, y):
        others.sort(key=lambda other: other.x + other.width / 2)
        step = item.width / (len(others) + 1)
        return {other: (item.x + step * (i + 1), y) for i, other in enumerate(others)}

    starts = {item: spread(item, others, item.y + item.height)
              for item, others in leaving.items()}
    ends = {item: spread(item, others, item.y) for item, others in entering.items()}
    return {(producer, consumer): (starts[producer][consumer], ends[consumer][producer])
            for producer, consumer in edges}


def _shape_label(tensors):
    if not tensors:
        return ""
    label = str(tensors[0].shape)
    return label if len(tensors) == 1 else f"{label} +{len(tensors) - 1}"


def _tooltip(item):
    if item.is_scope:
        return f"{item.full_name}/ ({_count(item.ops)})"
    op = item.ops[0]
    outputs = ", ".join(f"{t.dtype.name}{t.shape}" for t in op.outputs)
    return f"{op.name} ({op.type}) -> {outputs or 'no outputs'}"


def to_svg(element, scope=""):
    """An SVG picture (a string) of a Graph, or of what an Operation or Tensor depends on, at
    the level of name scope `scope` ('' for the top; 'a/b' for inside scope a/b)."""
    ops, highlight, _ = _elements(element)
    prefix = scope.rstrip("/") + "/" if scope else ""
    ops = [op for op in ops if op.name.startswith(prefix) or op.name == scope]
    return _picture(*_shown(ops, prefix, highlight), highlight)


def _picture(items, item_of, left_out, highlight):
    """The SVG of boxes `items` (as _shown gives them), those holding a `highlight` op
    outlined."""
    edges = _edges(item_of)
    labels = {edge: _shape_label(tensors) for edge, tensors in edges.items()}
    entering = {}
    for (_, consumer), label in labels.items():
        entering.setdefault(consumer, []).append(len(label) * _SHAPE_CHAR_WIDTH)
    for consumer, label_widths in entering.items():
        consumer.min_width = min((len(label_widths) + 1) * (max(label_widths) + 8), _MAX_WIDTH)
    note = f"not drawn: {left_out} more {'box' if left_out == 1 else 'boxes'}" if left_out else ""
    width, height = _layout(items, edges, _MARGIN + (16 if note else 0))
    width = max(width, len(note) * _CHAR_WIDTH + 2 * _MARGIN)
    ports = _ports(edges)
    marker = f"tensorlib-arrow-{next(_picture_ids)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="monospace" font-size="12">',
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker>'
        '</defs>']
    if note:
        parts.append(f'<text class="note" x="{_MARGIN}" y="{_MARGIN + 4}" fill="#555">{note}'
                     '</text>')
    for (producer, consumer), tensors in edges.items():
        (x1, y1), (x2, y2) = ports[producer, consumer]
        bend = max(abs(y2 - y1) / 2, 24)
        dash = "" if tensors else ' stroke-dasharray="4,3"'
        names = ", ".join(f"{t.name} {t.shape}" for t in tensors) or "control dependency"
        parts.append(f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} '
                     f'{x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}" fill="none" stroke="#777"'
                     f'{dash} marker-end="url(#{marker})"><title>{html.escape(names)}</title>'
                     '</path>')
        label = labels[producer, consumer]
        room = consumer.width / (len(entering[consumer]) + 1)
        if label and len(label) * _SHAPE_CHAR_WIDTH + 4 < room:
            # Beside the arrowhead (the consumer's ports are spread: the labels with them);
            # where it would not fit, the edge's tooltip still names the tensors and shapes.
            parts.append(f'<text class="shape" x="{x2 + 3:.1f}" y="{y2 - 8:.1f}" fill="#555" '
                         f'font-size="10">{html.escape(label)}</text>')
    for item in items:
        kind = "scope" if item.is_scope else "op"
        fill = "#fde9c4" if item.is_scope else "#e4eefb"
        stroke = "#d9480f" if highlight.intersection(item.ops) else "#556"
        radius = 4 if item.is_scope else 14
        parts.append(
            f'<g class="{kind}"><title>{html.escape(_tooltip(item))}</title>'
            f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{item.width}" '
            f'height="{item.height}" rx="{radius}" fill="{fill}" stroke="{stroke}"/>')
        lines = item.lines
        for i, line in enumerate(lines):
            y = item.y + item.height / 2 + (i - (len(lines) - 1) / 2) * 14 + 4
            weight = ' font-weight="bold"' if i == 0 else ""
            parts.append(f'<text x="{item.x + item.width / 2:.1f}" y="{y:.1f}" '
                         f'text-anchor="middle"{weight}>{html.escape(_cut(line))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _scope_details(items, highlight):
    """The <details> elements that unfold each scope among `items`, nested."""
    parts = []
    for item in items:
        if item.is_scope:
            shown = _shown(item.ops, item.full_name + "/", highlight)
            parts.append(
                f'<details style="margin-left:1em"><summary>{html.escape(item.full_name)} '
                f'({_count(item.ops)})</summary>{_picture(*shown, highlight)}'
                f'{_scope_details(shown[0], highlight)}</details>')
    return "".join(parts)


def to_html(element):
    """The picture of `element` with its scopes unfolding below it: what Jupyter shows."""
    ops, highlight, caption = _elements(element)
    shown = _shown(ops, "", highlight)
    return (f'<div class="tensorlib-graph"><div><code>{html.escape(caption)}</code> '
            f'({_count(ops)})</div>{_picture(*shown, highlight)}'
            f'{_scope_details(shown[0], highlight)}</div>')
