import json

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Ballot, Option


def error(status, code):
    return JsonResponse({"error": {"code": code}}, status=status)


@csrf_exempt
@require_POST
def vote(request, poll_id):
    voter = request.COOKIES.get("pollstack_voter", "")
    try:
        option_ids = json.loads(request.body)["option_ids"]
        number = int(option_ids[0])
    except (ValueError, KeyError, IndexError, TypeError):
        return error(400, "malformed_json")
    if not voter:
        return error(400, "voter_missing")
    try:
        with transaction.atomic():
            option = Option.objects.get(poll_id=poll_id, number=number)
            Ballot.objects.create(poll_id=poll_id, voter=voter, option=option)
            Option.objects.filter(pk=option.pk).update(votes=F("votes") + 1)
    except Option.DoesNotExist:
        return error(404, "poll_not_found")
    except IntegrityError:
        return error(409, "already_voted")
    return JsonResponse({"poll_id": poll_id, "option_ids": option_ids}, status=201)
