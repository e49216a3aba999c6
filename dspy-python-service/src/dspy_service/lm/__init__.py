"""Language models: the local llama.cpp model with grammar-constrained decoding, and LiteLLM-served models."""
