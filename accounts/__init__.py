"""Users (email login), learner profiles, and the role checks that decide who may do what."""
