/* Charts (plotly), on every page that draws one: the French locale, then the narrow-screen fit. */

/* Plotly French locale (modebar labels, number and date formats), registered as plotly.js locale files do.
   Keys are plotly.js 4's English strings (4.x renamed some: « Download plot as a PNG », « Image download succeeded »). */
(function () {
  var locale = {
    moduleType: 'locale',
    name: 'fr',
    dictionary: {
      'Autoscale': 'Échelle automatique',
      'Box Select': 'Sélection rectangulaire',
      'Click to enter Colorscale title': "Cliquer pour ajouter un titre à l'échelle de couleurs",
      'Click to enter Plot title': 'Cliquer pour ajouter un titre',
      'Click to enter X axis title': "Cliquer pour ajouter un titre à l'axe des x",
      'Click to enter Y axis title': "Cliquer pour ajouter un titre à l'axe des y",
      'Compare data on hover': 'Comparer les données en survolant',
      'Double-click to zoom back out': 'Double-cliquer pour dézoomer',
      'Download plot': 'Télécharger le graphique',
      'Download plot as a png': 'Télécharger le graphique en PNG',
      'Download plot as a PNG': 'Télécharger le graphique en PNG',
      'Image download succeeded': 'Image enregistrée',
      'Preparing image - this may take a few seconds': "Préparation de l'image : cela peut prendre quelques secondes",
      'Sorry, there was a problem downloading your image!': "Désolé, un problème est survenu lors du téléchargement de l'image",
      'Toggle show closest data on hover': 'Afficher ou masquer les données les plus proches au survol',
      'Reset': 'Réinitialiser',
      'Reset views': 'Réinitialiser les vues',
      'Lasso Select': 'Sélection lasso',
      'Pan': 'Translation',
      'Produced with Plotly.js': 'Généré avec Plotly.js',
      'Reset axes': 'Réinitialiser les axes',
      'Reset view': 'Réinitialiser la vue',
      'Show closest data on hover': 'Afficher les données les plus proches en survolant',
      'Snapshot succeeded': 'Image enregistrée',
      'Sorry, there was a problem downloading your snapshot!': "Désolé, un problème est survenu lors du téléchargement de l'image",
      'Taking snapshot - this may take a few seconds': "Création de l'image : cela peut prendre quelques secondes",
      'Toggle Spike Lines': 'Afficher ou masquer les lignes de repère',
      'Zoom': 'Zoom',
      'Zoom in': 'Zoom avant',
      'Zoom out': 'Zoom arrière',
      'max': 'max.',
      'min': 'min.',
      'trace': 'trace'
    },
    format: {
      days: ['Dimanche', 'Lundi', 'Mardi', 'Mercredi', 'Jeudi', 'Vendredi', 'Samedi'],
      shortDays: ['Dim', 'Lun', 'Mar', 'Mer', 'Jeu', 'Ven', 'Sam'],
      months: ['Janvier', 'Février', 'Mars', 'Avril', 'Mai', 'Juin', 'Juillet', 'Août', 'Septembre', 'Octobre',
               'Novembre', 'Décembre'],
      shortMonths: ['Janv.', 'Févr.', 'Mars', 'Avr.', 'Mai', 'Juin', 'Juil.', 'Août', 'Sept.', 'Oct.', 'Nov.', 'Déc.'],
      date: '%d/%m/%Y',
      decimal: ',',
      thousands: '\u202f'
    }
  };
  if (typeof window.Plotly === 'undefined') {
    window.PlotlyLocales = window.PlotlyLocales || [];
    window.PlotlyLocales.push(locale);
  } else {
    window.Plotly.register(locale);
  }
})();

/* Charts on a narrow screen (phone): plotly never wraps a title and keeps every tick it was given, so at
 * 360 px the title block (title, « territoire — trimestre », source, data version: dashboard/plan_figures.sign)
 * runs off the right edge and the x ticks (« T4 2018 », « T4 2020 »…) overlap.
 *
 * Below NARROW px of chart width, this re-wraps each line of the title block to the chart's width (the same
 * lines, the same words: nothing is dropped) and keeps one x tick out of two or more; back above it, the
 * figure's own title and ticks are restored. The server-side figure is unchanged (its PNG download, made at
 * the chart's own width, keeps the layout the server drew). Only charts inside `.chart-fit-narrow` (the plan
 * page's wide charts) are adapted: the territory sheet's small multiples are drawn narrow by the server.
 */
(function () {
    "use strict";
    const NARROW = 560;          // px of chart width below which the title block is re-wrapped
    const CHAR = 0.56;           // mean glyph width of Marianne / Arial, in ems
    const TICK = 80;             // px of plot width needed by one « T4 2024 » tick label and its gap

    function wrapWords(text, limit) {
        const lines = [];
        let line = "";
        for (const word of text.split(/\s+/)) {
            if (!word) { continue; }
            if (line && (line + " " + word).length > limit) {
                lines.push(line);
                line = word;
            } else {
                line = line ? line + " " + word : word;
            }
        }
        if (line) { lines.push(line); }
        return lines;
    }

    // One title line: plain text at the title's size, or a <span style='font-size:Npx…'>…</span> run.
    function wrapLine(segment, width, size) {
        const span = segment.match(/^<span style='([^']*)'>([\s\S]*)<\/span>$/);
        const style = span ? span[1] : null;
        const px = style && /font-size:\s*(\d+)px/.test(style) ? Number(RegExp.$1) : size;
        const text = span ? span[2] : segment;
        if (/</.test(text)) { return [segment]; }          // nested markup: left as drawn
        const lines = wrapWords(text, Math.max(12, Math.floor(width / (px * CHAR))));
        return style ? lines.map(l => "<span style='" + style + "'>" + l + "</span>") : lines;
    }

    function narrowLayout(wide, width) {
        const update = {};
        if (wide.title) {
            const size = wide.size;
            // spans that hold several <br>-separated lines are split into one span per line first
            const fixed = [];
            let open = null;
            for (let part of wide.title.split(/<br>/)) {
                if (open) { part = "<span style='" + open + "'>" + part; }
                const m = part.match(/^<span style='([^']*)'>/);
                if (m && !/<\/span>$/.test(part)) { open = m[1]; part += "</span>"; }
                else if (open && /<\/span>$/.test(part)) { open = null; }
                fixed.push(part);
            }
            const lines = fixed.flatMap(seg => wrapLine(seg, width - 16, size));
            update["title.text"] = lines.join("<br>");
            const more = Math.round(size * 1.3 * (lines.length - wide.lines));
            update["margin.t"] = wide.top + more;
            // the plot keeps its height under the longer block: the box grows (a relayout of `height` would
            // switch plotly's autosize off, and the chart would stay phone-sized once the window widens)
            update.__boxHeight = wide.height + more;
        }
        if (wide.ticks) {
            const fit = Math.max(2, Math.floor(wide.plotWidth / TICK));
            const step = Math.ceil(wide.ticks.length / fit);
            if (step > 1) {
                // keep the last tick (the latest year): count back from it
                update["xaxis.tickvals"] = wide.ticks.filter((_, i) => (wide.ticks.length - 1 - i) % step === 0);
            }
        }
        return update;
    }

    function adapt(gd) {
        const full = gd._fullLayout;
        if (!full || !window.Plotly || gd.__adapting) { return; }
        if (!gd.__wide) {
            const title = (gd.layout.title && gd.layout.title.text) || "";
            const xaxis = gd.layout.xaxis || {};
            gd.__wide = {
                title: title, size: (full.title && full.title.font && full.title.font.size) || 16,
                lines: title ? title.split(/<br>/).length : 0, top: full.margin.t, height: full.height,
                plotWidth: full._size ? full._size.w : full.width,
                ticks: Array.isArray(xaxis.tickvals) ? xaxis.tickvals.slice() : null,
            };
            gd.__shape = "wide";          // as the server drew it
        }
        const width = full.width;
        const key = width < NARROW ? "narrow-" + width : "wide";
        if (gd.__shape === key) { return; }
        gd.__shape = key;
        const wide = gd.__wide;
        const update = key === "wide" ? {
            "title.text": wide.title, "margin.t": wide.top, ...(wide.ticks ? {"xaxis.tickvals": wide.ticks} : {}),
        } : narrowLayout(wide, width);
        const box = gd.closest(".chart-fit-narrow");
        if (box) { box.style.height = update.__boxHeight ? update.__boxHeight + "px" : ""; }
        delete update.__boxHeight;
        if (!Object.keys(update).length) { return; }
        gd.__applied = update["title.text"];
        gd.__adapting = true;
        window.Plotly.relayout(gd, update).then(() => window.Plotly.Plots.resize(gd))
            .finally(() => { gd.__adapting = false; });
    }

    function hook(gd) {
        if (gd.__narrowHooked || typeof gd.on !== "function") { return; }
        gd.__narrowHooked = true;
        gd.on("plotly_afterplot", () => {
            if (gd.__adapting) { return; }
            const title = (gd.layout.title && gd.layout.title.text) || "";
            if (title !== gd.__applied) {
                gd.__wide = null;           // the server's figure (new, or drawn again): measure it again
                gd.__applied = undefined;
            }
            adapt(gd);
        });
        adapt(gd);
    }

    function scan() {
        document.querySelectorAll(".chart-fit-narrow .js-plotly-plot").forEach(hook);
    }

    new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});
    document.addEventListener("DOMContentLoaded", scan);
})();
