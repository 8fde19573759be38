// The login page: shows the error line after a refused login, which the server tells
// either by redirecting to /login?error=1 or by answering the POST with this page and
// status 401 (then the URL is plain /login, and the navigation's status says it).
const params = new URLSearchParams(location.search);
const nav = performance.getEntriesByType('navigation')[0];
const refused = params.has('error') || (nav && nav.responseStatus === 401);
if (refused) document.getElementById('login-error').hidden = false;
