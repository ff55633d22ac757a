"""Views of the credits app: the learner's path and the coordinator's pages."""
