from .inference import inference, init_model

__all__ = ['inference', 'init_model']
