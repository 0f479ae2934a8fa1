// The tabs, as the ARIA authoring practices describe them: one tab stop for the list, arrow keys, Home and
// End move and select; the panel follows. The URL hash remembers the tab (#search, #evaluate, #bias,
// #models), so a link or a reload lands on the same one; #inspect opens the Models tab's Inspect section.

let tabs = [];

export function selectTab(name, { focus = false, updateHash = true } = {}) {
  const tab = tabs.find((t) => t.dataset.tab === name) ?? tabs[0];
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
  }
  if (focus) tab.focus();
  if (updateHash && location.hash !== `#${tab.dataset.tab}`) history.replaceState(null, '', `#${tab.dataset.tab}`);
  document.dispatchEvent(new CustomEvent('tabchange', { detail: { tab: tab.dataset.tab } }));
}

export function initTabs(list) {
  tabs = [...list.querySelectorAll('[role="tab"]')];
  list.addEventListener('click', (e) => {
    const tab = e.target.closest('[role="tab"]');
    if (tab) selectTab(tab.dataset.tab);
  });
  list.addEventListener('keydown', (e) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    selectTab(tabs[(next + tabs.length) % tabs.length].dataset.tab, { focus: true });
  });
  const fromHash = () => {
    const name = location.hash.slice(1);
    if (name === 'inspect') {
      selectTab('models', { updateHash: false });
      document.getElementById('inspect').open = true;
    } else if (tabs.some((t) => t.dataset.tab === name)) {
      selectTab(name, { updateHash: false });
    } else {
      selectTab(tabs[0].dataset.tab, { updateHash: false });
    }
  };
  window.addEventListener('hashchange', fromHash);
  fromHash();
}
