# A repository whose HEAD does not have main.policy yet.
git init -q . && echo "README" > README && git add README && git -c user.name=t -c user.email=t@example.test commit -qm one
