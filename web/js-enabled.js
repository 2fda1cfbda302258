// Convene: runs first in <body>, in place of govuk-frontend's usual inline
// script (our Content-Security-Policy forbids inline script). Marks the page
// as having JavaScript so govuk-frontend's progressive enhancements apply.
document.body.className += ' js-enabled' +
  ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
