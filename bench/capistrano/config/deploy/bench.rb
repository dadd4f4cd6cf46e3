# The only stage: everything comes from config/deploy.rb and the environment.
