package doctor

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// findDatabase returns the RDS instance the service uses: the one whose
// RDS-managed master secret the task definition references, or else the
// one whose endpoint address appears in the containers' environment.
func (d *deployment) findDatabase(ctx context.Context) (*rdstypes.DBInstance, error) {
	secrets := map[string]bool{}
	for _, s := range d.secretRefs() {
		secrets[s] = true
	}
	var env []string
	for _, c := range d.taskDef.ContainerDefinitions {
		for _, kv := range c.Environment {
			env = append(env, aws.ToString(kv.Value))
		}
	}
	var byEnv *rdstypes.DBInstance
	p := rds.NewDescribeDBInstancesPaginator(d.rds, &rds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe DB instances: %w", err)
		}
		for i := range page.DBInstances {
			db := &page.DBInstances[i]
			if db.MasterUserSecret != nil && secrets[aws.ToString(db.MasterUserSecret.SecretArn)] {
				return db, nil
			}
			if db.Endpoint != nil && byEnv == nil {
				addr := aws.ToString(db.Endpoint.Address)
				for _, v := range env {
					if addr != "" && strings.Contains(v, addr) {
						byEnv = db
					}
				}
			}
		}
	}
	return byEnv, nil
}

// pendingFields names the fields of PendingModifiedValues that are set.
func pendingFields(p *rdstypes.PendingModifiedValues) []string {
	if p == nil {
		return nil
	}
	var out []string
	v := reflect.ValueOf(*p)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || v.Field(i).IsZero() {
			continue
		}
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

func (d *deployment) checkDatabase(ctx context.Context) Check {
	db, err := d.findDatabase(ctx)
	if err != nil {
		return errored(Database, err)
	}
	if db == nil {
		return errored(Database, fmt.Errorf("no RDS instance matches the task definition's secrets or environment"))
	}
	id := aws.ToString(db.DBInstanceIdentifier)
	if fields := pendingFields(db.PendingModifiedValues); len(fields) > 0 {
		return failed(Database,
			fmt.Sprintf("DB instance %s has pending modifications (%s) waiting for the maintenance window %s",
				id, strings.Join(fields, ", "), aws.ToString(db.PreferredMaintenanceWindow)),
			fmt.Sprintf("apply them now with `aws rds modify-db-instance --db-instance-identifier %s --apply-immediately` and keep apply_immediately = true in module database", id))
	}
	notes := []string{fmt.Sprintf("DB instance %s is %s with no pending modifications", id, aws.ToString(db.DBInstanceStatus))}
	if fault, note := d.checkCredentials(ctx, db); fault != "" {
		return failed(Database, fault,
			"let RDS manage the master password (manage_master_user_password) and reference that secret in the task definition, or put the database's master user name back into the secret")
	} else if note != "" {
		notes = append(notes, note)
	}
	return ok(Database, "%s", strings.Join(notes, "; "))
}

// checkCredentials checks, from metadata alone, that the secret the task
// definition references is the database's RDS-managed master secret: RDS
// keeps its user name the master user's. Doctor never reads a secret's
// value (the plan role, which may not, suffices) and never tries a login.
func (d *deployment) checkCredentials(ctx context.Context, db *rdstypes.DBInstance) (fault, note string) {
	if db.MasterUserSecret == nil {
		return "", "credentials not compared: the master password is not managed by RDS"
	}
	sarn := aws.ToString(db.MasterUserSecret.SecretArn)
	if !slices.Contains(d.secretRefs(), sarn) {
		return "", "credentials not compared: the task definition does not reference the RDS-managed secret"
	}
	if st := aws.ToString(db.MasterUserSecret.SecretStatus); st != "" && st != "active" && st != "creating" && st != "rotating" {
		return fmt.Sprintf("the RDS-managed secret of DB instance %s is %s, so the database may reject its credentials", aws.ToString(db.DBInstanceIdentifier), st), ""
	}
	sec, err := d.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(sarn)})
	if err != nil {
		return "", "credentials not compared: " + shortErr(err)
	}
	if sec.DeletedDate != nil {
		return fmt.Sprintf("the RDS-managed secret %s of DB instance %s is scheduled for deletion", sarn, aws.ToString(db.DBInstanceIdentifier)), ""
	}
	note = "the task reads the RDS-managed secret of the instance, whose user name RDS keeps the master user's"
	if db.Endpoint != nil && db.Endpoint.Address != nil {
		addr := net.JoinHostPort(aws.ToString(db.Endpoint.Address), strconv.Itoa(int(aws.ToInt32(db.Endpoint.Port))))
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		var dialer net.Dialer
		conn, err := dialer.DialContext(dctx, "tcp", addr)
		if err != nil {
			note += "; the database is not reachable from here, so the password was not tried"
		} else {
			conn.Close()
			note += "; the database is reachable from here (a login is not attempted)"
		}
	}
	return "", note
}
