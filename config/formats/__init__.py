"""The portal's number formats where Django's differ from what its readers expect."""
