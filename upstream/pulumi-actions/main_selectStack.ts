  const wsOpts: LocalWorkspaceOptions = {};
  if (config.secretsProvider != '') {
    wsOpts.secretsProvider = config.secretsProvider;
  }

  // Only initialize `stack` when the command is not `output`.
  // When the command is `output` we want to avoid the underlying call to `pulumi stack select`,
  // which requires a Pulumi.yaml file to be present.
  let stack: Stack | undefined;
  if (config.command !== "output") {
    const stackArgs: LocalProgramArgs = {
      stackName: config.stackName,
      workDir: workDir,
    };

    stack = await (config.upsert
      ? LocalWorkspace.createOrSelectStack(stackArgs, wsOpts)
      : LocalWorkspace.selectStack(stackArgs, wsOpts));
  }

  // Only initialize `projectName` when we have an instance of `stack` to operate on,
  // for commands other than `output`.
  let projectName: string | undefined;
  if (stack) {
    const projectSettings = await stack.workspace.projectSettings();
    projectName = projectSettings.name;
  }

  const onOutput = (msg: string) => {
    core.debug(msg);
    core.info(msg);
