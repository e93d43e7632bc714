/* StaticHtml (layouts/static_html.py): markup made and escaped on the server, drawn as it is — one component where
   a table or a card's text would be hundreds (Dash 4's renderer visits every component of the page for each one
   it mounts). The wrapper is display: contents, so the markup sits in the page as if it were written there. */
window.acces_soins = Object.assign(window.acces_soins || {}, {
    StaticHtml: function StaticHtml(props) {
        return React.createElement("div", {
            id: props.id, className: ["static-html", props.className].filter(Boolean).join(" "),
            dangerouslySetInnerHTML: {__html: props.html || ""}
        });
    }
});
