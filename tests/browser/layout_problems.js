// What a page shows that runs off the screen, is cut off or overlaps: one line a problem.
// Run by test_phone_layouts.py through Playwright's page.evaluate.
(() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "") +
    " «" + (el.textContent || el.value || "").trim().replace(/\s+/g, " ").slice(0, 40) + "»";
  const shown = (el) => {
    if (el.closest(".visually-hidden, [hidden], template, head")) return false;
    const style = getComputedStyle(el);
    return style.display !== "none" && style.visibility !== "hidden";
  };
  // Inside a box that scrolls sideways on purpose (a wide table), running past is fine.
  const scrolls = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const x = getComputedStyle(up).overflowX;
      if (x === "auto" || x === "scroll") return true;
    }
    return false;
  };
  // The width a select needs to show its chosen option whole: a copy holding only that
  // option, as wide as its content, beside it (so the same rules style it).
  const neededWidth = (select) => {
    const copy = select.cloneNode(false);
    copy.removeAttribute("id");
    copy.removeAttribute("name");
    const option = document.createElement("option");
    option.textContent = select.selectedOptions.length ? select.selectedOptions[0].text : "";
    copy.append(option);
    Object.assign(copy.style, {position: "absolute", visibility: "hidden", width: "max-content", minWidth: "0", maxWidth: "none"});
    select.after(copy);
    const needed = copy.getBoundingClientRect().width;
    copy.remove();
    return needed;
  };
  const inFlow = (el) => !["absolute", "fixed"].includes(getComputedStyle(el).position);
  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2 &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // A skip link waits wholly off the screen until focused: that is not running off it.
    const parked = box.right <= 0;
    if (!scrolls(el) && !parked && (box.right > width + 1 || box.left < -1)) {
      problems.push(`runs off the screen (${Math.round(box.left)} to ${Math.round(box.right)} of ${width}): ${name(el)}`);
    }
    // A box that scrolls sideways (a table's wrapper) must not need to on a phone: what
    // it hides past its edge is cut off for whoever does not think to swipe it.
    const x = getComputedStyle(el).overflowX;
    if (["auto", "scroll", "hidden"].includes(x) && el.clientWidth > 1 &&
        !el.matches("input, select, textarea") &&
        el.scrollWidth > el.clientWidth + 1) {
      problems.push(`cut off by ${el.scrollWidth - el.clientWidth} px: ${name(el)}`);
    }
    // A control cut off: past its parent's edge (a row too narrow for a form), too narrow
    // for its chosen option (a select shows only the start of "Usadas recientemente
    // primero"), or its words running out of it (a button).
    if (el.matches("input, select, button, textarea") && !scrolls(el)) {
      const parent = el.parentElement.getBoundingClientRect();
      if (box.right > parent.right + 1 || box.left < parent.left - 1) {
        problems.push(`cut off by its parent (${Math.round(box.left)} to ${Math.round(box.right)} in ${Math.round(parent.left)} to ${Math.round(parent.right)}): ${name(el)}`);
      }
      if (el.matches("select:not([multiple])")) {
        const needed = neededWidth(el);
        if (needed > box.width + 1) {
          problems.push(`too narrow for its choice (${Math.round(box.width)} of ${Math.round(needed)} px): ${name(el)} «${el.selectedOptions[0].text}»`);
        }
      }
      if (el.matches("button") && el.scrollWidth > el.clientWidth + 1) {
        problems.push(`words run out of it by ${el.scrollWidth - el.clientWidth} px: ${name(el)}`);
      }
    }
    if (el.matches("td[data-label]")) {
      const label = getComputedStyle(el, "::before");
      const top = label.position === "absolute" ? parseFloat(label.top) : parseFloat(getComputedStyle(el).paddingTop);
      if (top + parseFloat(label.height) > box.height + 1) {
        problems.push(`label taller than its cell (overlaps the next): ${el.dataset.label}`);
      }
    }
    const children = [...el.children].filter((child) => shown(child) && inFlow(child));
    for (let i = 0; i < children.length; i++) {
      for (let j = i + 1; j < children.length; j++) {
        const a = [...children[i].getClientRects()], b = [...children[j].getClientRects()];
        if (a.some((ra) => b.some((rb) => overlap(ra, rb)))) {
          problems.push(`overlaps its neighbour: ${name(children[i])} and ${name(children[j])}`);
        }
      }
    }
  }
  return problems;
})
