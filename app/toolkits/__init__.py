"""Toolkits: methodological materials trainers upload and learners download, and the file storage behind them."""
