// Convene: progressive enhancement only. Every page works without it.
// Loads govuk-frontend's components (same cache-busting version as this
// file) and, on the booking form, names the statutory agencies that have no
// invitee while the person ticks the boxes.
const version = new URL(import.meta.url).search;
const { initAll } = await import('/assets/govuk-frontend.min.js' + version);
initAll();

function agencyNames(codes, names) {
  const list = codes.map((c) => names[c] || c);
  if (list.length <= 1) return list.join('');
  return list.slice(0, -1).join(', ') + ' and ' + list[list.length - 1];
}

function watchInvitees(form) {
  const live = form.querySelector('[data-missing-live]');
  if (!live) return;
  const statutory = (live.dataset.statutory || '').split(' ').filter(Boolean);
  const names = JSON.parse(live.dataset.names || '{}');
  const update = () => {
    const present = new Set();
    form.querySelectorAll('input[data-agency]:checked').forEach((el) => {
      present.add(el.dataset.agency);
    });
    form.querySelectorAll('select[data-extra-agency]').forEach((sel) => {
      const row = sel.closest('[data-extra-row]');
      const name = row && row.querySelector('input[data-extra-name]');
      if (sel.value && name && name.value.trim()) present.add(sel.value);
    });
    const missing = statutory.filter((a) => !present.has(a));
    const text = live.querySelector('[data-missing-text]');
    live.hidden = missing.length === 0;
    if (text) {
      text.textContent = missing.length
        ? 'No one from ' + agencyNames(missing, names) +
          ' is invited. Invite someone, or say why below.'
        : '';
    }
  };
  form.addEventListener('change', update);
  form.addEventListener('input', update);
  update();
}

document.querySelectorAll('form[data-book-form]').forEach(watchInvitees);

// Printing the meeting page: open every details element so the paper has
// all of it (as the record's PDF does), and close again those that were
// closed once the print dialog is done.
let openedForPrint = [];
window.addEventListener('beforeprint', () => {
  openedForPrint = [...document.querySelectorAll('details:not([open])')];
  openedForPrint.forEach((d) => { d.open = true; });
});
window.addEventListener('afterprint', () => {
  openedForPrint.forEach((d) => { d.open = false; });
  openedForPrint = [];
});
