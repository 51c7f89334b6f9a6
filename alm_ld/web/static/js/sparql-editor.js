/* The /sparql editor: YASGUI (vendored, static/vendor/yasgui) configured to talk only to this
 * server. Autocompleters that call prefix.cc or LOV are off, the endpoint list holds only our
 * own endpoint, and nothing is persisted across visits so a link always opens what it says.
 * A query passed as "#query=..." (links from work pages) is loaded into the editor. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sparql-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var examples = {};
  config.examples.forEach(function (e) { examples[e.slug] = e.query; });

  function queryFromFragment() {
    var hash = window.location.hash.replace(/^#/, "");
    var params = new URLSearchParams(hash);
    return params.get("query");
  }

  var initial = config.query || queryFromFragment() || config.examples[0].query;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    persistenceId: null,
    populateFromUrl: false,
    autofocus: false,
    corsProxy: undefined,
    yasqe: { autocompleters: ["prefixes"], prefixCcApi: null, value: initial,
             createShortLink: undefined, showQueryButton: true },
    yasr: { prefixes: { alm: "https://w3id.org/alm-ld/vocab#", almm: "https://w3id.org/alm-ld/metrics/",
                        almr: "https://w3id.org/alm-ld/relations/", almsrc: "https://w3id.org/alm-ld/sources/" } }
  });
  var tab = yasgui.getTab();
  tab.setEndpoint(endpoint);
  tab.setQuery(initial);

  // Keyboard users must be able to leave the editor: Tab/Shift-Tab move the focus instead of
  // inserting a tab (no keyboard trap, WCAG 2.1.2); indenting is still Ctrl-] / Ctrl-[.
  function releaseTab(t) {
    var yasqe = t && t.getYasqe && t.getYasqe();
    if (yasqe && !yasqe.almTabReleased) {
      yasqe.addKeyMap({ "Tab": false, "Shift-Tab": false });
      yasqe.almTabReleased = true;
    }
  }
  releaseTab(tab);
  yasgui.on("tabSelect", function (instance, tabId) { setTimeout(function () { releaseTab(instance.getTab(tabId)); }, 0); });
  yasgui.on("tabAdd", function (instance, tabId) { setTimeout(function () { releaseTab(instance.getTab(tabId)); }, 0); });
  window.almYasgui = yasgui;

  document.querySelectorAll("button.example").forEach(function (button) {
    button.addEventListener("click", function () {
      var current = yasgui.getTab();
      current.setQuery(examples[button.dataset.example]);
      current.query();
    });
  });
})();
