// placeholder: written soon
