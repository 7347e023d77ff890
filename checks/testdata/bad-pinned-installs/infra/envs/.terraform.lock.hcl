# planted lock file
