// Run by the screenshot test in a copy of the report (the report itself has no script and
// forbids any): opens every scenario, then looks for text drawn over other text, and for
// text that leaves its box. The result goes into <pre id="overlap-result"> as JSON, which
// the test reads from Chromium's --dump-dom.
(function () {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node, n = 0;
  while ((node = walker.nextNode())) {
    const parent = node.parentElement;
    if (!parent || !node.textContent.trim()) continue;
    const tag = parent.localName;
    if (tag === 'title' || tag === 'desc' || tag === 'style' || tag === 'script') continue;
    n += 1;
    let rects;
    if (parent instanceof SVGElement) {
      rects = [parent.getBoundingClientRect()];
    } else {
      const range = document.createRange();
      range.selectNodeContents(node);
      rects = Array.from(range.getClientRects());
    }
    for (const r of rects) {
      if (r.width < 1 || r.height < 1) continue;
      boxes.push({ id: n, text: node.textContent.trim().slice(0, 40), l: r.left + scrollX, t: r.top + scrollY, r: r.right + scrollX, b: r.bottom + scrollY });
    }
  }
  // Two lines of text overlap when their boxes share more than a sliver both ways (glyph
  // boxes of adjacent lines touch).
  const slack = 2;
  const overlaps = [];
  boxes.sort((a, b) => a.t - b.t);
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length && boxes[j].t < a.b - slack; j++) {
      const b = boxes[j];
      if (a.id === b.id) continue;
      const w = Math.min(a.r, b.r) - Math.max(a.l, b.l);
      const h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
      if (w > slack && h > slack) overlaps.push([a.text, b.text]);
    }
  }
  const wide = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  const out = document.createElement('pre');
  out.id = 'overlap-result';
  out.textContent = JSON.stringify({ texts: n, boxes: boxes.length, overlaps: overlaps.slice(0, 20), count: overlaps.length, page_wider_by: wide });
  document.body.appendChild(out);
})();
