//! Task definitions from AWS's public documentation, as YAML bodies for `spec:` (column 0).

/// The Fargate `httpd` web server of "Example Amazon ECS task definitions" (awsvpc, awslogs).
pub const FARGATE_WEBSERVER: &str = r##"containerDefinitions:
  - command:
      - "/bin/sh -c \"echo '<html> <head> <title>Amazon ECS Sample App</title> <style>body {margin-top: 40px; background-color: #333;} </style> </head><body> <div style=color:white;text-align:center> <h1>Amazon ECS Sample App</h1> <h2>Congratulations!</h2> <p>Your application is now running on a container in Amazon ECS.</p> </div></body></html>' >  /usr/local/apache2/htdocs/index.html && httpd-foreground\""
    entryPoint:
      - sh
      - -c
    essential: true
    image: public.ecr.aws/docker/library/httpd:2.4
    logConfiguration:
      logDriver: awslogs
      options:
        awslogs-group: /ecs/fargate-task-definition
        awslogs-region: us-east-1
        awslogs-stream-prefix: ecs
    name: sample-fargate-app
    portMappings:
      - containerPort: 80
        hostPort: 80
        protocol: tcp
cpu: "256"
executionRoleArn: arn:aws:iam::012345678910:role/ecsTaskExecutionRole
family: fargate-task-definition
memory: "512"
networkMode: awsvpc
runtimePlatform:
  operatingSystemFamily: LINUX
requiresCompatibilities:
  - FARGATE
"##;

/// The FireLens example routing an nginx app's logs to CloudWatch through a fluent-bit sidecar.
pub const FIRELENS_SIDECAR: &str = r#"family: firelens-example-cloudwatch
taskRoleArn: arn:aws:iam::123456789012:role/ecs_task_iam_role
executionRoleArn: arn:aws:iam::123456789012:role/ecs_task_execution_role
containerDefinitions:
  - essential: true
    image: 906394416424.dkr.ecr.us-west-2.amazonaws.com/aws-for-fluent-bit:stable
    name: log_router
    firelensConfiguration:
      type: fluentbit
    logConfiguration:
      logDriver: awslogs
      options:
        awslogs-group: firelens-container
        awslogs-region: us-west-2
        awslogs-create-group: "true"
        awslogs-stream-prefix: firelens
    memoryReservation: 50
  - essential: true
    image: nginx
    name: app
    logConfiguration:
      logDriver: awsfirelens
      options:
        Name: cloudwatch
        region: us-west-2
        log_key: log
        log_group_name: /aws/ecs/containerinsights/$(ecs_cluster)/application
        auto_create_group: "true"
        log_stream_name: $(ecs_task_id)
    memoryReservation: 100
"#;

/// An EC2 bridge-mode WordPress + MySQL pair (the docs' `links` example) with a dynamic host
/// port (`hostPort: 0`) and memory reservations.
pub const EC2_BRIDGE_DYNAMIC_PORTS: &str = r#"family: hello_world
networkMode: bridge
requiresCompatibilities:
  - EC2
containerDefinitions:
  - name: wordpress
    links:
      - mysql
    image: wordpress
    essential: true
    portMappings:
      - containerPort: 80
        hostPort: 0
        protocol: tcp
    memoryReservation: 256
    memory: 500
    cpu: 10
  - environment:
      - name: MYSQL_ROOT_PASSWORD
        value: password
    name: mysql
    image: mysql
    cpu: 10
    memoryReservation: 256
    essential: true
"#;

/// The EFS example of "Specifying an Amazon EFS file system in a task definition": nginx
/// serving its html from an EFS volume.
pub const EFS_NGINX: &str = r#"family: efs-tutorial
executionRoleArn: arn:aws:iam::111122223333:role/ecsTaskExecutionRole
containerDefinitions:
  - memory: 128
    portMappings:
      - hostPort: 80
        containerPort: 80
        protocol: tcp
    essential: true
    mountPoints:
      - containerPath: /usr/share/nginx/html
        sourceVolume: efs-html
    name: nginx
    image: nginx
volumes:
  - name: efs-html
    efsVolumeConfiguration:
      fileSystemId: fs-1324abcd
      transitEncryption: ENABLED
"#;

/// Every fixture with a short name, for tests that go through all of them.
pub const ALL: [(&str, &str); 4] = [
    ("fargate-webserver", FARGATE_WEBSERVER),
    ("firelens-sidecar", FIRELENS_SIDECAR),
    ("ec2-bridge-dynamic-ports", EC2_BRIDGE_DYNAMIC_PORTS),
    ("efs-nginx", EFS_NGINX),
];
