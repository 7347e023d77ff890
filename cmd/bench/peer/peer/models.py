from django.db import models


class Poll(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    question = models.CharField(max_length=200)


class Option(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE)
    number = models.SmallIntegerField()
    label = models.CharField(max_length=100)
    votes = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "number"], name="one_number_per_poll")]


class Ballot(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE)
    voter = models.CharField(max_length=64)
    option = models.ForeignKey(Option, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "voter"], name="one_ballot_per_voter")]
