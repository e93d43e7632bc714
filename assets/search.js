/* Keyboard for the territory search boxes (layouts/search.py): ↓/↑ between the input and the suggestions,
   Échap back to the input, Entrée on the input opens the first suggestion. */
document.addEventListener('keydown', function (event) {
  const target = event.target;
  const box = target && target.closest ? target.closest('.search-box') : null;
  if (!box) { return; }
  const input = box.querySelector('input.search-input');
  const links = Array.from(box.querySelectorAll('a.search-link'));
  const index = links.indexOf(target);
  if (event.key === 'ArrowDown') {
    if (links.length) { event.preventDefault(); links[Math.min(index + 1, links.length - 1)].focus(); }
  } else if (event.key === 'ArrowUp') {
    if (index > 0) { event.preventDefault(); links[index - 1].focus(); }
    else if (index === 0) { event.preventDefault(); input.focus(); }
  } else if (event.key === 'Escape') {
    input.focus();
  } else if (event.key === 'Enter' && target === input && links.length) {
    event.preventDefault(); links[0].click();
  }
});
