// Package html writes a report as one self-contained HTML page: the page
// model (Page, Section, Figure), its template with inline CSS and no
// script, the styling of table cells (PASS, FAIL, figures), and charts
// turned into inline SVG figures.
//
// It is apart from package report so that what a page says (report
// builds each document's Page from its tables and verdict lines) stays
// apart from how a page is written; it knows tables and charts, not runs.
package html
