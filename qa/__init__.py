"""qa: ask questions of your own documents, offline.

Pipeline: documents → chunks → vectors (embeddings/) → index → retrieve → answer → cli / tui.
"""
