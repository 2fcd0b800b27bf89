"""Finding the articles a reply needs: chunking, BM25, customers' phrasings, and dense embeddings."""
