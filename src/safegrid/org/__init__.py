"""Organisation tree (ORG-1): province → city → county → station / business hall."""
