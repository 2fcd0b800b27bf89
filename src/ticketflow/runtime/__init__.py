"""The durable runtime: DBOS workflows and queues around the pipeline's stages."""
