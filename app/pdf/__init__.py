"""PDF documents rendered from versioned HTML templates with xhtml2pdf (B6, B7)."""
