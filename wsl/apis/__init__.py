from .inference import inference, init_model, prepare_batch

__all__ = ['inference', 'init_model', 'prepare_batch']
