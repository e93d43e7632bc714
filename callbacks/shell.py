"""Shell behaviour: mark the current page on <body> (CSS hides the frame on the kiosk) and in the nav."""
from dash import Input, Output, clientside_callback

clientside_callback(
    """function(pathname) {
        const page = (pathname || '/').split('/')[1] || 'plan';
        document.body.dataset.page = page;
        document.querySelectorAll('.site-nav a').forEach(a => {
            const here = a.getAttribute('href') === '/' ? page === 'plan' : ('/' + page) === a.getAttribute('href');
            if (here) { a.setAttribute('aria-current', 'page'); } else { a.removeAttribute('aria-current'); }
        });
        return page;
    }""",
    Output("app-page", "data"),
    Input("app-url", "pathname"),
)
