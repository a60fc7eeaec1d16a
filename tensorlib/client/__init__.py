"""Running graphs: Session, InteractiveSession, ConfigProto."""
